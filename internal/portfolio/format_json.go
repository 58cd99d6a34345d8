package portfolio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// encodeJSON writes a document in our own JSON format: indented, fields in a fixed order,
// so two exports of the same content are byte-identical.
func encodeJSON(doc Document) ([]byte, error) {
	doc.Format, doc.FormatVersion = DocumentFormat, 1
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeJSON reads our own JSON format. Unknown fields are refused (a typo would
// otherwise silently drop data); syntax errors are reported with their line.
func decodeJSON(data []byte) (Document, problems) {
	var doc Document
	var p problems
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			p.add(lineOf(data, se.Offset), "", "", "malformed JSON: %s", se.Error())
		case errors.As(err, &te):
			p.add(lineOf(data, te.Offset), te.Field, "", "expected %s, found a JSON %s", te.Type, te.Value)
		case errors.Is(err, io.EOF):
			p.add(0, "", "", "empty file")
		case errors.Is(err, io.ErrUnexpectedEOF):
			p.add(lineOf(data, int64(len(data))), "", "", "malformed JSON: unexpected end of file")
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			p.add(0, strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "",
				"unknown field (see the format description in the README)")
		default:
			p.add(0, "", "", "malformed JSON: %v", err)
		}
		return doc, p
	}
	if dec.More() {
		p.add(0, "", "", "unexpected data after the JSON document")
	}
	if doc.Format != DocumentFormat {
		p.add(0, "format", doc.Format, "not an ESD portfolio: the field \"format\" must be %q", DocumentFormat)
	}
	if doc.FormatVersion != 1 {
		p.add(0, "format_version", fmt.Sprint(doc.FormatVersion), "unsupported format version: this ESD reads version 1")
	}
	return doc, p
}

// lineOf turns a byte offset into a 1-based line number.
func lineOf(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}
