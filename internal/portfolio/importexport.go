package portfolio

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/domain"
)

// The exchange formats.
const (
	FormatJSON   = "json"   // our own JSON (Document)
	FormatMoodle = "moodle" // Moodle competency framework CSV (admin tool lpimportcsv)
	FormatCASE   = "case"   // 1EdTech CASE 1.0 package (JSON)
)

// Formats lists the exchange formats.
var Formats = []string{FormatJSON, FormatMoodle, FormatCASE}

// CheckFormat returns EINVALID for an unknown format name.
func CheckFormat(f string) error {
	for _, x := range Formats {
		if x == f {
			return nil
		}
	}
	return domain.Invalid("format", "unknown format %q: use json, moodle or case", f)
}

// MaxImportBytes bounds an uploaded file.
const MaxImportBytes = 20 << 20

// ImportResult says what an import did.
type ImportResult struct {
	Version Version `json:"version"`
	// Unchanged is true when the same file had already been imported: nothing was written
	// and Version is the version that import created.
	Unchanged  bool     `json:"unchanged"`
	Dimensions int      `json:"dimensions"`
	Areas      int      `json:"areas"`
	Lines      int      `json:"lines"`
	Notes      []string `json:"notes,omitempty"`
}

// Parse reads a file of the given format into a validated document, without writing
// anything. Every problem is reported at once (row or item identifier, field, reason);
// notes say what the hierarchy mapping did.
func Parse(format string, data []byte) (Document, []string, error) {
	if err := CheckFormat(format); err != nil {
		return Document{}, nil, err
	}
	var doc Document
	var notes []string
	var p problems
	switch format {
	case FormatJSON:
		doc, p = decodeJSON(data)
	case FormatMoodle:
		doc, notes, p = decodeMoodle(data)
	case FormatCASE:
		doc, notes, p = decodeCASE(data)
	}
	if len(p) == 0 {
		if doc.Framework.Version == "" {
			doc.Framework.Version = "import-" + time.Now().UTC().Format("20060102")
			notes = append(notes, "the file carries no version label: "+doc.Framework.Version+" was given")
		}
		doc.validate(&p)
	}
	if err := p.err("the " + format + " file cannot be imported"); err != nil {
		return doc, notes, err
	}
	return doc, notes, nil
}

// Import reads a file and creates a new draft version from it, all or nothing: if any row
// or item is wrong nothing is written and the error lists every problem. Importing the
// very same file again changes nothing and returns the version the first import made.
// The version label is the file's; if that label is taken, the next free one ("-2", "-3"…).
func (s *Service) Import(ctx context.Context, format string, data []byte, filename string) (ImportResult, error) {
	if _, err := requireWriter(ctx); err != nil {
		return ImportResult{}, err
	}
	if len(data) > MaxImportBytes {
		return ImportResult{}, domain.Invalid("file", "file larger than %d MiB", MaxImportBytes>>20)
	}
	doc, notes, err := Parse(format, data)
	if err != nil {
		return ImportResult{}, err
	}
	sum := sha256.Sum256(data)
	hash := "sha256=" + hex.EncodeToString(sum[:])
	res := ImportResult{Notes: notes}
	res.Dimensions, res.Areas, res.Lines = doc.Counts()
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM framework_versions WHERE source LIKE $1 ORDER BY id LIMIT 1`,
			"import:"+format+":"+hash+"%").Scan(&id)
		if err == nil {
			res.Unchanged = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		label := doc.Framework.Version
		if taken, err := labelTaken(ctx, tx, doc.Framework.Code, label); err != nil {
			return err
		} else if taken {
			for i := 2; ; i++ {
				l := fmt.Sprintf("%s-%d", doc.Framework.Version, i)
				if taken, err := labelTaken(ctx, tx, doc.Framework.Code, l); err != nil {
					return err
				} else if !taken {
					label = l
					break
				}
			}
			res.Notes = append(res.Notes, fmt.Sprintf("version %s %s already exists: the import is version %s", doc.Framework.Code, doc.Framework.Version, label))
		}
		doc.Framework.Version = label
		name := strings.Map(func(r rune) rune {
			if r < ' ' {
				return -1
			}
			return r
		}, filepath.Base(filename))
		if len(name) > 200 {
			name = name[:200]
		}
		id, err = s.insertDocument(ctx, tx, doc, insertMeta{Source: "import:" + format + ":" + hash + ":" + name})
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "import", Entity: "framework_version", EntityID: id,
			After: map[string]any{"format": format, "file": name, "code": doc.Framework.Code, "version": label,
				"dimensions": res.Dimensions, "ambiti": res.Areas, "lines": res.Lines}})
	})
	if err != nil {
		return ImportResult{}, err
	}
	res.Version, err = s.Version(ctx, id)
	return res, err
}

// Export is an exported file.
type Export struct {
	Data        []byte
	ContentType string
	Filename    string
}

// Export writes a version in the given format.
func (s *Service) Export(ctx context.Context, versionID int64, format string) (Export, error) {
	if err := CheckFormat(format); err != nil {
		return Export{}, err
	}
	v, err := s.visibleVersion(ctx, versionID)
	if err != nil {
		return Export{}, err
	}
	doc, err := loadDocument(ctx, s.DB.Read, versionID)
	if err != nil {
		return Export{}, err
	}
	base := fileSafe(v.Code + "_" + v.Version)
	switch format {
	case FormatMoodle:
		b, err := encodeMoodle(doc)
		return Export{b, "text/csv; charset=utf-8", base + "_moodle.csv"}, err
	case FormatCASE:
		b, err := encodeCASE(doc, v)
		return Export{b, "application/json", base + "_case.json"}, err
	}
	b, err := encodeJSON(doc)
	return Export{b, "application/json", base + ".json"}, err
}

// Document returns a version as a Document (our JSON format's structure).
func (s *Service) Document(ctx context.Context, versionID int64) (Document, error) {
	if _, err := s.visibleVersion(ctx, versionID); err != nil {
		return Document{}, err
	}
	return loadDocument(ctx, s.DB.Read, versionID)
}

func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}
