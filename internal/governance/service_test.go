package governance_test

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/governance"
)

func as(ctx context.Context, a domain.Actor) context.Context { return domain.WithActor(ctx, a) }

// TestTargetsBadInputAndRefinement: targets outside the scale, on unknown items, with
// impossible thresholds, and refinements lower than the level above are refused with the
// field and a clear message; a refinement upwards is kept with the parent's filters.
func TestTargetsBadInputAndRefinement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d, apptest.Options{Demo: true})
		g := env.M.Governance
		nat := as(context.Background(), domain.Actor{Role: domain.RoleNational, Username: "t.national"})
		reg := as(context.Background(), domain.Actor{Role: domain.RoleRegional, RegionID: 90, Username: "t.regional"})
		base := governance.TargetInput{Title: "t", RegionID: 90, ProfessionCode: 14, Measure: governance.MeasureLevel, Item: "D3.A1", Level: 2, Threshold: 60, Deadline: "2027-12-31"}
		bad := []struct {
			change func(*governance.TargetInput)
			field  string
			text   string
		}{
			{func(i *governance.TargetInput) { i.Level = 5 }, "level", "outside the scale (1–4)"},
			{func(i *governance.TargetInput) { i.Level = 0 }, "level", "outside the scale"},
			{func(i *governance.TargetInput) { i.Item = "D9.A9" }, "item", "not a dimension, ambito or line"},
			{func(i *governance.TargetInput) { i.Threshold = 0 }, "threshold", "between 0"},
			{func(i *governance.TargetInput) { i.Threshold = 120 }, "threshold", "between 0"},
			{func(i *governance.TargetInput) { i.Deadline = "31/12/2026" }, "deadline", "YYYY-MM-DD"},
			{func(i *governance.TargetInput) { i.Deadline = "2020-01-01" }, "deadline", "in the past"},
			{func(i *governance.TargetInput) { i.Measure = "credits" }, "measure", "use level"},
			{func(i *governance.TargetInput) { i.RegionID = 99 }, "region_id", "does not exist"},
			{func(i *governance.TargetInput) { i.CareSetting = "luna" }, "care_setting", "care setting"},
			{func(i *governance.TargetInput) { i.Title = " " }, "title", "title"},
		}
		var before int
		if err := env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM governance_targets`).Scan(&before); err != nil {
			t.Fatal(err)
		}
		for _, b := range bad {
			in := base
			b.change(&in)
			_, err := g.CreateTarget(nat, in)
			e := domain.AsError(err)
			if e == nil || e.Code != domain.EINVALID || e.Field != b.field || !strings.Contains(e.Message, b.text) {
				t.Errorf("%+v: got %v (field %q), want %s about %q", in, err, fieldOf(e), b.field, b.text)
			}
		}
		parent, err := g.CreateTarget(nat, base)
		if err != nil {
			t.Fatal(err)
		}
		lower := []struct {
			in    governance.TargetInput
			field string
			text  string
		}{
			{governance.TargetInput{ParentID: parent.ID, Threshold: 50}, "threshold", "the threshold 50 % is lower than the 60 %"},
			{governance.TargetInput{ParentID: parent.ID, Threshold: 70, Level: 1}, "level", "level 1 is lower than level 2"},
			{governance.TargetInput{ParentID: parent.ID, Threshold: 70, Deadline: "2028-06-30"}, "deadline", "later than"},
			{governance.TargetInput{ParentID: parent.ID, Threshold: 70, ProfessionCode: 1}, "profession_code", "inside the one"},
			{governance.TargetInput{ParentID: parent.ID, Threshold: 70, Item: "D3.A2"}, "item", "keeps the item"},
		}
		for _, l := range lower {
			_, err := g.CreateTarget(reg, l.in)
			e := domain.AsError(err)
			if e == nil || e.Field != l.field || !strings.Contains(e.Message, l.text) {
				t.Errorf("refinement %+v: got %v, want %s about %q", l.in, err, l.field, l.text)
			}
		}
		child, err := g.CreateTarget(reg, governance.TargetInput{ParentID: parent.ID, Threshold: 75})
		if err != nil {
			t.Fatal(err)
		}
		if child.RegionID != 90 || child.ProfessionCode != 14 || child.Item != "D3.A1" || child.Level != 2 || child.Threshold != 75 || child.Owner != governance.OwnerRegional {
			t.Errorf("refinement: %+v", child)
		}
		var after int
		if err := env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM governance_targets`).Scan(&after); err != nil {
			t.Fatal(err)
		}
		if after != before+2 {
			t.Errorf("%d targets after the bad input, want %d: a refused target was written", after, before+2)
		}
		// Progress: the regional view of the national target is Toscana's cell; every point
		// is either suppressed or a share of at least 5 professionals.
		p, err := g.Progress(reg, parent.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if p.Region != 90 || len(p.Series) < 12 || p.Series[len(p.Series)-1].Source != "snapshot" || p.Series[0].Source != "evidence" {
			t.Fatalf("progress: region %d, %d points %+v", p.Region, len(p.Series), p.Series)
		}
		for _, s := range p.Series {
			if !s.Suppressed && s.Population < 5 {
				t.Errorf("a point of %d professionals is shown: %+v", s.Population, s)
			}
		}
		// Today recomputed from the dated evidence equals today's snapshot from the current
		// levels and profiles, for every measure (levels are a function of the evidence).
		extra := []governance.TargetInput{
			{Title: "assessed", Measure: governance.MeasureAssessed, Threshold: 50, Deadline: "2027-12-31"},
			{Title: "persona", RegionID: 90, Measure: governance.MeasurePersona, Threshold: 50, Deadline: "2027-12-31"},
			{Title: "line", Measure: governance.MeasureLevel, Item: "D1.A1.L01", Level: 1, Threshold: 50, Deadline: "2027-12-31"},
			{Title: "dimension", Measure: governance.MeasureLevel, Item: "D3", Level: 2, Threshold: 50, Deadline: "2027-12-31"},
		}
		ids := []int64{parent.ID}
		for _, in := range extra {
			x, err := g.CreateTarget(nat, in)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, x.ID)
		}
		nonzero := 0
		for _, id := range ids {
			cur, back, err := g.Verify(nat, id)
			if err != nil {
				t.Fatal(err)
			}
			if cur != back {
				t.Errorf("target %d: snapshot %v, recomputed from evidence %v", id, cur, back)
			}
			if cur[1] > 0 {
				nonzero++
			}
		}
		if nonzero < 2 {
			t.Errorf("only %d of the targets reach anyone in the demo world: the comparison proves little", nonzero)
		}
	})
}

func fieldOf(e *domain.Error) string {
	if e == nil {
		return ""
	}
	return e.Field
}

// TestApprovalsAndCycle: the cycle's rules on approvals, with the audit entry and the
// notification of who approves next.
func TestApprovalsAndCycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		g := env.M.Governance
		_, _ = env.CreateUser("t.naz", domain.RoleNational, 0, 0, 0)
		_, _ = env.CreateUser("t.reg", domain.RoleRegional, 90, 0, 0)
		var regID int64
		if err := env.M.DB.Read.QueryRow(`SELECT id FROM users WHERE username = 't.reg'`).Scan(&regID); err != nil {
			t.Fatal(err)
		}
		nat := as(context.Background(), domain.Actor{Role: domain.RoleNational, Username: "t.naz"})
		reg := as(context.Background(), domain.Actor{Role: domain.RoleRegional, RegionID: 90, Username: "t.reg", UserID: regID})
		if _, err := g.Approve(reg, governance.ApproveInput{RegionID: 90, Note: "too early"}); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Fatalf("region ahead of the nation: %v", err)
		}
		if _, err := g.Approve(nat, governance.ApproveInput{RegionID: 0, Note: ""}); domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("approval without a note: %v", err)
		}
		ap, err := g.Approve(nat, governance.ApproveInput{RegionID: 0, Phase: governance.PhaseIndirizzo, Note: "priorità approvate"})
		if err != nil || ap.Phase != governance.PhaseIndirizzo || len(ap.Artefacts) == 0 {
			t.Fatalf("national approval: %+v %v", ap, err)
		}
		if _, err := g.Approve(nat, governance.ApproveInput{RegionID: 0, Phase: governance.PhaseIndirizzo, Note: "again"}); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Fatalf("stale approval: %v", err)
		}
		if _, err := g.Approve(reg, governance.ApproveInput{RegionID: 90, Note: "recepite"}); err != nil {
			t.Fatalf("regional approval after the nation: %v", err)
		}
		v, err := g.CycleView(reg, "")
		if err != nil {
			t.Fatal(err)
		}
		var tosc governance.Track
		for _, r := range v.Regions {
			if r.RegionID == 90 {
				tosc = r
			}
		}
		if v.Nation.Phase != governance.PhasePianificazione || tosc.Phase != governance.PhasePianificazione || tosc.CanApprove || v.Nation.CanApprove || len(v.Approvals) != 2 {
			t.Fatalf("cycle: nation %+v, Toscana %+v, %d approvals", v.Nation, tosc, len(v.Approvals))
		}
		var audits int
		if err := env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE entity = 'governance_phase' AND action = 'approve'`).Scan(&audits); err != nil || audits != 2 {
			t.Fatalf("audit entries: %d %v", audits, err)
		}
		list, unread, err := g.Notifications(reg, "it")
		if err != nil || unread == 0 || !strings.Contains(list[0].Subject, "da approvare") {
			t.Fatalf("the regional referent is told what awaits approval: %+v %d %v", list, unread, err)
		}
	})
}

// mailSink is an in-process SMTP server keeping the messages it receives.
type mailSink struct {
	mu   sync.Mutex
	msgs []string
	rcpt []string
}

type sinkSession struct{ s *mailSink }

func (x sinkSession) Reset()                                      {}
func (x sinkSession) Logout() error                               { return nil }
func (x sinkSession) Mail(from string, _ *smtp.MailOptions) error { return nil }
func (x sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	x.s.rcpt = append(x.s.rcpt, to)
	x.s.mu.Unlock()
	return nil
}
func (x sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, string(b))
	x.s.mu.Unlock()
	return nil
}

// TestOffTrackEmail: a target that goes off track notifies its owner in the platform and,
// with SMTP configured, by e-mail through the queue, delivered to a real SMTP server.
func TestOffTrackEmail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		sink := &mailSink{}
		srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return sinkSession{sink}, nil }))
		srv.Domain = "localhost"
		srv.AllowInsecureAuth = true
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { _ = srv.Close() })

		env := apptest.Start(t, d, apptest.Options{Demo: true})
		g := env.M.Governance
		g.Mail = governance.MailConfig{Addr: ln.Addr().String(), From: "esd@example.it"}
		var uid int64
		if err := env.M.DB.Read.QueryRow(`SELECT id FROM users WHERE username = 'demo.nazionale'`).Scan(&uid); err != nil {
			t.Fatal(err)
		}
		me := as(context.Background(), domain.Actor{Role: domain.RoleNational, Username: "demo.nazionale", UserID: uid})
		if err := g.SetEmail(me, "not an address"); domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("bad address: %v", err)
		}
		if err := g.SetEmail(me, "governo@example.it"); err != nil {
			t.Fatal(err)
		}
		// Everybody at level 4 in a line by next month: off track for sure in the demo world.
		tg, err := g.CreateTarget(me, governance.TargetInput{Title: "Livello 4 in D5.A2 per tutti", Measure: governance.MeasureLevel, Item: "D5.A2", Level: 4,
			Threshold: 95, Deadline: time.Now().AddDate(0, 1, 0).Format("2006-01-02")})
		if err != nil {
			t.Fatal(err)
		}
		p, err := g.Progress(me, tg.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if p.State != governance.StateOffTrack {
			t.Fatalf("state %s, forecast %+v, series %+v", p.State, p.Forecast, p.Series)
		}
		var queued int
		if err := env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM mail_queue WHERE to_addr = 'governo@example.it' AND sent_at IS NULL`).Scan(&queued); err != nil || queued != 1 {
			t.Fatalf("queued mails: %d %v", queued, err)
		}
		n, err := g.SendPending(env.Sys())
		if err != nil || n != 1 {
			t.Fatalf("sent %d: %v", n, err)
		}
		sink.mu.Lock()
		defer sink.mu.Unlock()
		if len(sink.msgs) != 1 || sink.rcpt[0] != "governo@example.it" || !strings.Contains(sink.msgs[0], "Subject: Obiettivo fuori traiettoria: Livello 4") || !strings.Contains(sink.msgs[0], "charset=utf-8") ||
			!strings.Contains(sink.msgs[0], "/governance/targets/") {
			t.Fatalf("received: %q to %v", sink.msgs, sink.rcpt)
		}
		if n, _ := g.SendPending(env.Sys()); n != 0 {
			t.Errorf("a sent mail was sent again")
		}
		list, _, err := g.Notifications(me, "en")
		if err != nil || len(list) == 0 || !strings.HasPrefix(list[0].Subject, "Target off track") {
			t.Fatalf("notifications: %+v %v", list, err)
		}
	})
}
