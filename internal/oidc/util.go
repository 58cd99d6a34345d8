package oidc

import (
	"encoding/json"
	"io"
	"net/url"
)

func urlEscape(s string) string { return url.QueryEscape(s) }

func jsonEncode(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }
