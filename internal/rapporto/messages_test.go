package rapporto

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEveryMessageHasItalian finds every message format handed to problems.add,
// checker.bad and tr in the package's source and checks the Italian catalogue has it, with
// the same verbs in the same order, so no problem reaches an Italian page in English.
func TestEveryMessageHasItalian(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			var idx int
			switch {
			case ok && sel.Sel.Name == "add":
				idx = 3
			case ok && sel.Sel.Name == "bad":
				idx = 2
			case !ok && isIdent(call.Fun, "tr"):
				idx = 1
			default:
				return true
			}
			if len(call.Args) <= idx {
				return true
			}
			lit, ok := call.Args[idx].(*ast.BasicLit)
			if !ok {
				return true
			}
			format, _ := strconv.Unquote(lit.Value)
			found++
			it, ok := italian[format]
			if !ok {
				t.Errorf("%s: no Italian for %q", fset.Position(lit.Pos()), format)
			} else if verbs(it) != verbs(format) {
				t.Errorf("%q: Italian %q has other verbs", format, it)
			}
			return true
		})
	}
	if found < 40 {
		t.Fatalf("found only %d messages: the scan is broken", found)
	}
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func verbs(s string) string {
	var b strings.Builder
	for i := 0; i < len(s)-1; i++ {
		if s[i] == '%' {
			b.WriteByte(s[i+1])
			i++
		}
	}
	return b.String()
}
