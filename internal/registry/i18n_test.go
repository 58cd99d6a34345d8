package registry

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"
)

// Every message format the registry (and package cf) words through tr must have an Italian
// wording: the test reads the sources and checks each format literal passed to the functions
// that format messages.
func TestEveryMessageHasItalian(t *testing.T) {
	// function name → index of its format argument
	formatArg := map[string]int{"add": 2, "tr": 1, "fileError": 2, "forbidden": 1, "fail": 1}
	files, _ := filepath.Glob("*.go")
	cfFiles, _ := filepath.Glob("../cf/*.go")
	seen := 0
	for _, name := range append(files, cfFiles...) {
		if filepath.Ext(name) != ".go" || len(name) > 8 && name[len(name)-8:] == "_test.go" {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var fn string
			switch x := call.Fun.(type) {
			case *ast.Ident:
				fn = x.Name
			case *ast.SelectorExpr:
				fn = x.Sel.Name
			}
			i, ok := formatArg[fn]
			if !ok || i >= len(call.Args) {
				return true
			}
			lit, ok := call.Args[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, _ := strconv.Unquote(lit.Value)
			if s == "%s" {
				return true
			}
			seen++
			if _, ok := italian[s]; !ok {
				t.Errorf("%s: %q has no Italian wording", fset.Position(lit.Pos()), s)
			}
			return true
		})
	}
	if seen < 60 {
		t.Fatalf("found only %d message formats: the scan is broken", seen)
	}
}
