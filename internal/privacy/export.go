package privacy

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/tabular"
	"esd/internal/xapi"
)

// FormatVersion is the version of the archive's layout, in dati.json.
const FormatVersion = "1"

// Section is one part of dati.json: the rows of one table about the professional.
type Section struct {
	Table      string           `json:"table"`
	Capability string           `json:"capability"`
	Columns    []string         `json:"columns"`
	Rows       []map[string]any `json:"rows"`
}

// Document is dati.json.
type Document struct {
	Format       string             `json:"format"`
	GeneratedAt  string             `json:"generated_at"`
	Professional Subject            `json:"professional"`
	Sections     map[string]Section `json:"sections"`
	Excluded     map[string]string  `json:"excluded"`
}

// File is one file of the archive.
type File struct {
	Name string
	Body []byte
}

// Archive is the export of one professional's data.
type Archive struct {
	Document Document
	Files    []File // certificates' PDFs, credentials' JSON and JWT
	ZIP      []byte
	Name     string // file name for the download
}

// Export gathers everything held about the professional and packs the archive. Only the
// person themself, national governance and the system may; the export is audited (the entry
// holds the counts per section, not the data).
func (s *Service) Export(ctx context.Context, professionalID int64) (*Archive, error) {
	p, err := s.subject(ctx, professionalID)
	if err != nil {
		return nil, err
	}
	doc := Document{Format: FormatVersion, GeneratedAt: time.Now().UTC().Format(time.RFC3339), Professional: p,
		Sections: map[string]Section{}, Excluded: Excluded}
	for _, src := range Sources {
		cols, rows, err := s.query(ctx, src, p.ID)
		if err != nil {
			return nil, err
		}
		if rows == nil {
			rows = []map[string]any{}
		}
		doc.Sections[src.Section] = Section{Table: src.Table, Capability: src.Capability, Columns: cols, Rows: rows}
	}
	if err := s.exportXAPI(ctx, p.ID, doc.Sections); err != nil {
		return nil, err
	}
	a := &Archive{Document: doc, Name: fmt.Sprintf("dati-personali-%s.zip", strings.ToLower(p.CF))}
	if err := s.attachments(ctx, a); err != nil {
		return nil, err
	}
	if err := a.pack(); err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for k, sec := range doc.Sections {
		counts[k] = len(sec.Rows)
	}
	if err := audit.Record(ctx, s.DB.Write, audit.Change{Action: "export", Entity: "personal_data", EntityID: p.ID, RegionID: p.RegionID,
		After: map[string]any{"sections": counts, "files": len(a.Files), "bytes": len(a.ZIP)}}); err != nil {
		return nil, err
	}
	return a, nil
}

// learnerKeys returns the xAPI account keys the professional's providers registered.
func learnerKeys(ctx context.Context, q db.Querier, id int64) (keys []string, hashes []int64, providers []int64, err error) {
	// Registered learner accounts, and the homePages whose account name is the codice
	// fiscale itself (mode cf), under either spelling of the code.
	rows, err := q.QueryContext(ctx, `SELECT provider_id, home_page, name FROM xapi_learners WHERE professional_id = $1
		UNION SELECT h.provider_id, h.home_page, p.cf FROM xapi_homepages h, professionals p WHERE h.mode = 'cf' AND p.id = $1
		UNION SELECT h.provider_id, h.home_page, p.cf_display FROM xapi_homepages h, professionals p WHERE h.mode = 'cf' AND p.id = $1
		ORDER BY 1, 2, 3`, id)
	if err != nil {
		return nil, nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var prov int64
		var hp, name string
		if err := rows.Scan(&prov, &hp, &name); err != nil {
			return nil, nil, nil, err
		}
		keys = append(keys, xapi.AccountKey(hp, name))
		hashes = append(hashes, xapi.AccountKeyHash(hp, name))
		providers = append(providers, prov)
	}
	return keys, hashes, providers, rows.Err()
}

// statementSeqs finds the statements whose actor (kind 'a': actor or agent object) is one of
// the professional's learner accounts, plus those projected onto them.
func statementSeqs(ctx context.Context, q db.Querier, id int64) ([]int64, error) {
	_, hashes, providers, err := learnerKeys(ctx, q, id)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var seqs []int64
	add := func(query string, args ...any) error {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n int64
			if err := rows.Scan(&n); err != nil {
				return err
			}
			if !seen[n] {
				seen[n] = true
				seqs = append(seqs, n)
			}
		}
		return rows.Err()
	}
	for i := range hashes {
		if err := add(`SELECT seq FROM xapi_statement_keys WHERE provider_id = $1 AND kind = 'a' AND key_hash = $2`, providers[i], hashes[i]); err != nil {
			return nil, err
		}
	}
	if err := add(`SELECT statement_seq FROM xapi_projections WHERE professional_id = $1`, id); err != nil {
		return nil, err
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	return seqs, nil
}

// exportXAPI adds the statements (decoded to their JSON) and the documents.
func (s *Service) exportXAPI(ctx context.Context, id int64, secs map[string]Section) error {
	seqs, err := statementSeqs(ctx, s.DB.Read, id)
	if err != nil {
		return err
	}
	st := Section{Table: "xapi_statements", Capability: "xapi", Columns: []string{"seq", "id", "provider_id", "stored", "voided", "statement"}, Rows: []map[string]any{}}
	for _, seq := range seqs {
		var sid, stored, auth string
		var prov int64
		var voided any
		var raw []byte
		err := s.DB.Read.QueryRowContext(ctx, `SELECT s.id, s.provider_id, s.stored, s.voided, s.raw, COALESCE(c.authority_json, '')
			FROM xapi_statements s LEFT JOIN xapi_credentials c ON c.id = s.credential_id WHERE s.seq = $1`, seq).Scan(&sid, &prov, &stored, &voided, &raw, &auth)
		if err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				continue // projected, then purged
			}
			return err
		}
		js, err := xapi.StatementJSON(sid, stored, auth, raw)
		if err != nil {
			return fmt.Errorf("xapi statement %d: %w", seq, err)
		}
		st.Rows = append(st.Rows, map[string]any{"seq": seq, "id": sid, "provider_id": prov, "stored": stored, "voided": normalise(voided), "statement": js})
	}
	secs["xapi_statements"] = st
	keys, _, providers, err := learnerKeys(ctx, s.DB.Read, id)
	if err != nil {
		return err
	}
	docs := Section{Table: "xapi_documents", Capability: "xapi", Rows: []map[string]any{}}
	for i, k := range keys {
		rows, err := s.DB.Read.QueryContext(ctx, `SELECT * FROM xapi_documents WHERE provider_id = $1 AND agent_key = $2 ORDER BY id`, providers[i], k)
		if err != nil {
			return err
		}
		cols, rs, err := scanAll(rows, nil)
		rows.Close()
		if err != nil {
			return err
		}
		docs.Columns = cols
		docs.Rows = append(docs.Rows, rs...)
	}
	if docs.Columns == nil {
		docs.Columns = []string{"id", "provider_id", "kind", "activity_id", "agent_key", "registration", "doc_id", "content_type", "content", "etag", "updated"}
	}
	secs["xapi_documents"] = docs
	return nil
}

// attachments adds the certificates' PDFs and the badges' credentials.
func (s *Service) attachments(ctx context.Context, a *Archive) error {
	if s.Certificates != nil {
		for _, r := range a.Document.Sections["certificates"].Rows {
			id, _ := r["id"].(int64)
			pdf, name, err := s.Certificates.PDF(ctx, id)
			if err != nil {
				return fmt.Errorf("certificate %d: %w", id, err)
			}
			a.Files = append(a.Files, File{Name: "attestati/" + name, Body: pdf})
		}
	}
	for _, r := range a.Document.Sections["badges"].Rows {
		uuid, _ := r["uuid"].(string)
		if body, _ := r["body"].(string); body != "" {
			var pretty bytes.Buffer
			if json.Indent(&pretty, []byte(body), "", "  ") != nil {
				pretty.Reset()
				pretty.WriteString(body)
			}
			a.Files = append(a.Files, File{Name: "credenziali/" + uuid + ".json", Body: pretty.Bytes()})
		}
		if jwt, _ := r["jwt"].(string); jwt != "" {
			a.Files = append(a.Files, File{Name: "credenziali/" + uuid + ".jwt", Body: []byte(jwt)})
		}
	}
	return nil
}

// SectionOrder is the order of the sections in README.txt and the CSV files.
func SectionOrder() []string {
	var out []string
	for _, s := range Sources {
		out = append(out, s.Section)
	}
	return append(out, "xapi_statements", "xapi_documents")
}

// pack writes the ZIP: dati.json, README.txt, one CSV per section, the files.
func (a *Archive) pack() error {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	put := func(name string, body []byte) error {
		w, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Now().UTC()})
		if err != nil {
			return err
		}
		_, err = w.Write(body)
		return err
	}
	js, err := json.MarshalIndent(a.Document, "", "  ")
	if err != nil {
		return err
	}
	if err := put("dati.json", js); err != nil {
		return err
	}
	if err := put("README.txt", []byte(readme(a.Document))); err != nil {
		return err
	}
	for _, name := range SectionOrder() {
		sec := a.Document.Sections[name]
		t := tabular.Table{Name: name}
		for _, c := range sec.Columns {
			t.Columns = append(t.Columns, tabular.Column{Key: c})
		}
		for _, r := range sec.Rows {
			vals := make([]any, len(sec.Columns))
			for i, c := range sec.Columns {
				vals[i] = cell(r[c])
			}
			t.Add(vals...)
		}
		if err := put("csv/"+name+".csv", t.CSV()); err != nil {
			return err
		}
	}
	for _, f := range a.Files {
		if err := put(f.Name, f.Body); err != nil {
			return err
		}
	}
	if err := z.Close(); err != nil {
		return err
	}
	a.ZIP = buf.Bytes()
	return nil
}

// cell is a value as text for the CSV (Text columns: numbers are written as they are, so
// ids are never reformatted with decimal commas).
func cell(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return x
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

// normalise turns a driver's value into a JSON-friendly one: times in UTC RFC 3339, bytes
// as text when they are UTF-8 (base64 otherwise).
func normalise(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return "base64:" + base64.StdEncoding.EncodeToString(x)
	}
	return v
}
