package xapi

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
)

// BenchReport is what one ingest benchmark measured.
type BenchReport struct {
	Statements        int
	SinglePerSec      float64 // single-statement POSTs per second, concurrent clients
	SingleP99ms       float64
	SingleFloorPerSec float64 // the same rows inserted with no validation, one transaction each
	BatchPerSec       float64 // statements per second in batches of 100
	BatchFloorPerSec  float64 // the same rows, no validation, 100 per transaction
	QueryP95ms        float64 // GET by agent, limit 10
	BytesPerStatement float64 // database growth per stored statement (tables and indexes)
}

// benchStatement is a Moodle-like statement: account actor, grouping with site and course.
func benchStatement(i int) map[string]any {
	site := "https://bench.example.it"
	return map[string]any{
		"actor":  map[string]any{"name": "Learner", "account": map[string]any{"homePage": site, "name": fmt.Sprint(i % 5000)}},
		"verb":   map[string]any{"id": "http://id.tincanapi.com/verb/viewed", "display": map[string]any{"en": "viewed"}},
		"object": map[string]any{"id": fmt.Sprintf("%s/mod/page/view.php?id=%d", site, i%200), "definition": map[string]any{"type": "http://id.tincanapi.com/activitytype/lms/module"}},
		"context": map[string]any{"platform": "Moodle", "registration": "7c3a7b9e-4d1e-4f3a-9b2c-5e6f7a8b9c0d",
			"contextActivities": map[string]any{"grouping": []any{map[string]any{"id": site}, map[string]any{"id": site + "/course/view.php?id=5"}}}},
		"timestamp": "2026-11-20T09:15:02+01:00",
	}
}

// Bench posts n single statements with clients concurrent clients and n more in batches of
// 100 through handler (the whole server), measures the no-validation floor of the same rows
// in the same run, queries by agent, and removes everything it wrote. providerID is the
// provider the bench credential belongs to.
func (s *Service) Bench(ctx context.Context, handler http.Handler, providerID int64, n, clients int) (BenchReport, error) {
	rep := BenchReport{Statements: 2 * n}
	sys := domain.WithActor(ctx, domain.SystemActor)
	is, err := s.CreateCredential(sys, providerID, CredentialInput{Label: "bench", Scopes: []string{ScopeAll}})
	if err != nil {
		return rep, err
	}
	defer s.benchCleanup(context.WithoutCancel(ctx), providerID, is.ID)
	srv := httptest.NewServer(handler)
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: clients * 2}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	sizeBefore, err := s.dbSize(ctx)
	if err != nil {
		return rep, err
	}
	post := func(body []byte) (time.Duration, error) {
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/xapi/statements", bytes.NewReader(body))
		req.Header.Set("Authorization", is.Basic)
		req.Header.Set("X-Experience-API-Version", V103)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("POST answered %d", resp.StatusCode)
		}
		return time.Since(start), nil
	}
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i], _ = json.Marshal(benchStatement(i))
	}
	// Single statements, concurrent clients.
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				d, err := post(bodies[i])
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				lat[i] = d
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return rep, firstErr
	}
	rep.SinglePerSec = float64(n) / time.Since(start).Seconds()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	rep.SingleP99ms = float64(lat[n*99/100].Microseconds()) / 1000
	// Batches of 100, one client (Moodle's cron posts serially).
	start = time.Now()
	for i := 0; i < n; i += 100 {
		var arr []any
		for j := i; j < min(i+100, n); j++ {
			arr = append(arr, benchStatement(n+j))
		}
		b, _ := json.Marshal(arr)
		if _, err := post(b); err != nil {
			return rep, err
		}
	}
	rep.BatchPerSec = float64(n) / time.Since(start).Seconds()
	sizeAfter, err := s.dbSize(ctx)
	if err != nil {
		return rep, err
	}
	rep.BytesPerStatement = float64(sizeAfter-sizeBefore) / float64(2*n)
	// Query by agent.
	var qlat []time.Duration
	for i := 0; i < 200; i++ {
		q := url.Values{"agent": {fmt.Sprintf(`{"account":{"homePage":"https://bench.example.it","name":"%d"}}`, i*7%5000)}, "limit": {"10"}}
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/xapi/statements?"+q.Encode(), nil)
		req.Header.Set("Authorization", is.Basic)
		req.Header.Set("X-Experience-API-Version", V103)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return rep, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return rep, fmt.Errorf("GET answered %d", resp.StatusCode)
		}
		qlat = append(qlat, time.Since(t0))
	}
	sort.Slice(qlat, func(i, j int) bool { return qlat[i] < qlat[j] })
	rep.QueryP95ms = float64(qlat[len(qlat)*95/100].Microseconds()) / 1000
	// The floor: the same rows (compressed raw, keys) with no HTTP, no validation, no lookups.
	c, err := s.Authenticate(ctx, is.Basic)
	if err != nil {
		return rep, err
	}
	floor := func(per int) (float64, error) {
		rows := make([]prepared, n)
		for i := range rows {
			st := benchStatement(i)
			st["id"], st["authority"], st["stored"] = newUUID(), c.Authority, time.Now().UTC().Format(time.RFC3339Nano)
			o := toObj(st)
			rows[i] = prepared{id: st["id"].(string), verb: "http://id.tincanapi.com/verb/viewed", raw: packRaw(o), keys: keysOf(o), content: "floor"}
		}
		t0 := time.Now()
		for i := 0; i < n; i += per {
			err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
				var keyRows [][]any
				for _, p := range rows[i:min(i+per, n)] {
					var seq int64
					if err := tx.QueryRowContext(ctx, `INSERT INTO xapi_statements (id, provider_id, credential_id, stored, verb_hash, registration, voids, content_sha, raw)
						VALUES ($1,$2,$3,$4,$5,'','',$6,$7) RETURNING seq`, p.id, providerID, c.ID, fmtStored(time.Now()), keyHash(p.verb), p.content, p.raw).Scan(&seq); err != nil {
						return err
					}
					for _, k := range p.keys {
						keyRows = append(keyRows, []any{providerID, k[0], keyHash(k[1]), seq})
					}
				}
				return db.InsertRows(ctx, tx, s.DB.IsPostgres(), "xapi_statement_keys", []string{"provider_id", "kind", "key_hash", "seq"}, keyRows)
			})
			if err != nil {
				return 0, err
			}
		}
		return float64(n) / time.Since(t0).Seconds(), nil
	}
	if rep.SingleFloorPerSec, err = floor(1); err != nil {
		return rep, err
	}
	if rep.BatchFloorPerSec, err = floor(100); err != nil {
		return rep, err
	}
	return rep, nil
}

func toObj(m map[string]any) obj {
	b, _ := json.Marshal(m)
	x, _ := decodeJSON(b)
	return x.(obj)
}

// dbSize is the bytes the LRS tables and their indexes take.
func (s *Service) dbSize(ctx context.Context) (int64, error) {
	var n int64
	if s.DB.IsPostgres() {
		err := s.DB.Read.QueryRowContext(ctx, `SELECT pg_total_relation_size('xapi_statements') + pg_total_relation_size('xapi_statement_keys')`).Scan(&n)
		return n, err
	}
	// The file's used pages: the LRS tables are the only ones growing during the run.
	var pages, free, size int64
	if err := s.DB.Read.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return 0, err
	}
	if err := s.DB.Read.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free); err != nil {
		return 0, err
	}
	if err := s.DB.Read.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size); err != nil {
		return 0, err
	}
	return (pages - free) * size, nil
}

func (s *Service) benchCleanup(ctx context.Context, providerID, credID int64) {
	_ = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM xapi_statement_keys WHERE seq IN (SELECT seq FROM xapi_statements WHERE credential_id = $1)`, credID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM xapi_statements WHERE credential_id = $1`, credID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM xapi_activities WHERE provider_id = $1 AND id LIKE 'https://bench.example.it/%'`, providerID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE xapi_credentials SET revoked_at = $1 WHERE id = $2`, fmtStored(time.Now()), credID)
		return err
	})
}
