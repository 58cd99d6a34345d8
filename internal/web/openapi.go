package web

import (
	"reflect"
	"sort"
	"strings"
	"time"
)

// Op documents one API operation for the OpenAPI 3.1 document.
type Op struct {
	Method   string
	Path     string
	Summary  string
	Tag      string
	Request  any // a value of the request body type, or nil
	Response any // a value of the response type, or nil
	Roles    []string
	Public   bool  // no login or token needed
	Created  bool  // a successful POST answers 201
	MaxBytes int64 // request body limit; default 1 MiB
	// RawRequest names a non-JSON request media type (e.g. text/csv) for uploads.
	RawRequest string
	// RawKinds, for an upload sent as the raw body, are the file kinds it may be: the
	// body's first bytes are sniffed before the handler runs and anything else (an image, a
	// ZIP, a PDF sent to a CSV import) is refused with 415 naming what was expected.
	RawKinds []UploadKind
	// RawResponse names the media type of a file the operation returns as a *Download
	// (e.g. text/csv for an export) instead of JSON.
	RawResponse string
}

// OpenAPI builds the OpenAPI 3.1 document of every registered operation. Schemas come from
// the Go types by reflection, so the document cannot drift from the code.
func (s *Server) OpenAPI() map[string]any {
	paths := map[string]any{}
	schemas := map[string]any{}
	g := &schemaGen{defs: schemas}
	ops := append([]Op(nil), s.ops...)
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].Path < ops[j].Path })
	for _, op := range ops {
		item, _ := paths[op.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[op.Path] = item
		}
		o := map[string]any{
			"summary":     op.Summary,
			"operationId": strings.ToLower(op.Method) + strings.NewReplacer("/", "_", "{", "", "}", "").Replace(strings.TrimPrefix(op.Path, "/api/v1")),
			"responses": map[string]any{
				"default": map[string]any{"description": "error", "content": map[string]any{
					"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}},
			},
		}
		if op.Tag != "" {
			o["tags"] = []string{op.Tag}
		}
		if len(op.Roles) > 0 {
			o["description"] = "Roles: " + strings.Join(op.Roles, ", ") + ". Scope is enforced by the service."
		}
		if op.Public {
			o["security"] = []any{}
		}
		var params []any
		for _, seg := range strings.Split(op.Path, "/") {
			if strings.HasPrefix(seg, "{") {
				name := strings.Trim(seg, "{}.")
				params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		if params != nil {
			o["parameters"] = params
		}
		if op.RawRequest != "" {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{op.RawRequest: map[string]any{"schema": map[string]any{"type": "string"}}}}
		} else if op.Request != nil {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(op.Request))}}}
		}
		ok := map[string]any{"description": "success"}
		if op.RawResponse != "" {
			ok["content"] = map[string]any{op.RawResponse: map[string]any{"schema": map[string]any{"type": "string"}}}
		} else if op.Response != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(op.Response))}}
		}
		code := "200"
		if op.Created {
			code = "201"
		} else if op.Response == nil && op.RawResponse == "" {
			code = "204"
		}
		o["responses"].(map[string]any)[code] = ok
		item[strings.ToLower(op.Method)] = o
	}
	schemas["Problem"] = g.schema(reflect.TypeOf(Problem{}))
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "ESD – Educazione in Sanità Digitale API", "version": s.Version,
			"description": "JSON API of the ESD platform. Authenticate with a session cookie or an API token (Authorization: Bearer esd_…). Errors are application/problem+json."},
		"servers":    []any{map[string]any{"url": "/"}},
		"paths":      paths,
		"components": map[string]any{"schemas": schemas, "securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}, "cookie": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie}}},
		"security":   []any{map[string]any{"bearer": []string{}}, map[string]any{"cookie": []string{}}},
	}
}

type schemaGen struct{ defs map[string]any }

var timeType = reflect.TypeOf(time.Time{})

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string"}
		}
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := t.Name()
		if name == "" {
			return g.structSchema(t)
		}
		if t.PkgPath() != "" {
			name = t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:] + "." + name
		}
		name = strings.ReplaceAll(name, ".", "_")
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = map[string]any{} // placeholder against recursion
			g.defs[name] = g.structSchema(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (g *schemaGen) structSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			if sub, ok := g.structSchema(f.Type)["properties"].(map[string]any); ok {
				for k, v := range sub {
					props[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
	}
	return map[string]any{"type": "object", "properties": props}
}
