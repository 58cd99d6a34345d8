package governance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"net/smtp"
	"strings"
	"time"

	"esd/internal/domain"
)

// errK returns a domain error with an English message and a catalogue key for pages.
func errK(code, field, key, english string, args ...any) *domain.Error {
	return domain.Keyed(code, field, key, english, args...)
}

// Localize returns err with its message translated by t when it carries a catalogue key.
func Localize(err error, t func(key string, args ...any) string) error {
	return domain.Localize(err, t)
}

// MailConfig is the SMTP server notifications are e-mailed through (ESD_SMTP_ADDR,
// ESD_SMTP_FROM, ESD_SMTP_USER, ESD_SMTP_PASSWORD). Without Addr nothing is queued.
type MailConfig struct {
	Addr, From, User, Password string
}

// Notification is one entry of an account's notification list.
type Notification struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	Subject   string     `json:"subject"`
	Body      string     `json:"body"`
	Link      string     `json:"link,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

// note is a notification to write, in both languages.
type note struct {
	kind, dedup, link                    string
	subjectIT, subjectEN, bodyIT, bodyEN string
}

// notify writes the notification for each user inside tx (once per user and dedup key) and
// queues its e-mail when SMTP is configured and the user gave an address. Sending happens in
// the background (SendPending), never on the request path.
func (s *Service) notify(ctx context.Context, tx *sql.Tx, users []int64, n note) error {
	now := s.now()
	for _, u := range users {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO notifications (user_id, kind, subject_it, subject_en, body_it, body_en, link, dedup, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (user_id, dedup) DO NOTHING RETURNING id`,
			u, n.kind, n.subjectIT, n.subjectEN, n.bodyIT, n.bodyEN, n.link, n.dedup, now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			continue // already notified
		}
		if err != nil {
			return err
		}
		if s.Mail.Addr == "" {
			continue
		}
		var addr, lang string
		err = tx.QueryRowContext(ctx, `SELECT ns.email, u.lang FROM notification_settings ns JOIN users u ON u.id = ns.user_id WHERE ns.user_id = $1`, u).Scan(&addr, &lang)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && addr == "") {
			continue
		}
		if err != nil {
			return err
		}
		subj, body := n.subjectIT, n.bodyIT
		if lang == "en" {
			subj, body = n.subjectEN, n.bodyEN
		}
		if n.link != "" {
			body += "\n\n" + n.link
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO mail_queue (notification_id, to_addr, subject, body, created_at, next_at) VALUES ($1, $2, $3, $4, $5, $5)`,
			id, addr, subj, body, now); err != nil {
			return err
		}
	}
	return nil
}

// usersOf lists the active accounts of a role, optionally in a region or an organisation.
func usersOf(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, role domain.Role, region, org int64) ([]int64, error) {
	query := `SELECT id FROM users WHERE role = $1 AND NOT disabled`
	args := []any{string(role)}
	if region != 0 {
		query += ` AND region_id = $2`
		args = append(args, region)
	}
	if org != 0 {
		query += fmt.Sprintf(` AND organisation_id = $%d`, len(args)+1)
		args = append(args, org)
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

var phaseNames = map[string][2]string{
	PhaseIndirizzo:      {"Indirizzo", "Addressing"},
	PhasePianificazione: {"Pianificazione", "Planning"},
	PhaseDisegno:        {"Disegno", "Design"},
	PhaseEsecuzione:     {"Esecuzione", "Execution"},
	PhaseMonitoraggio:   {"Monitoraggio", "Monitoring"},
}

// notifyPhase tells who must approve what now awaits them after a track moved: the owners
// of the track's new phase and, when the nation moved, the regional referents (their regions
// may now follow).
func (s *Service) notifyPhase(ctx context.Context, tx *sql.Tx, c Cycle, region int64, next string) error {
	if next == "" {
		return nil
	}
	nm := phaseNames[next]
	var users []int64
	var err error
	where := [2]string{"Italia", "Italy"}
	if region == 0 {
		users, err = usersOf(ctx, tx, domain.RoleNational, 0, 0)
		if err != nil {
			return err
		}
		regional, err := usersOf(ctx, tx, domain.RoleRegional, 0, 0)
		if err != nil {
			return err
		}
		users = append(users, regional...)
	} else {
		if users, err = usersOf(ctx, tx, domain.RoleRegional, region, 0); err != nil {
			return err
		}
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM regions WHERE id = $1`, region).Scan(&name); err != nil {
			return err
		}
		where = [2]string{name, name}
	}
	return s.notify(ctx, tx, users, note{kind: "phase", dedup: fmt.Sprintf("phase:%d:%d:%s", c.ID, region, next), link: "/governance",
		subjectIT: fmt.Sprintf("Fase %s da approvare (%s)", nm[0], where[0]), subjectEN: fmt.Sprintf("Phase %s awaits approval (%s)", nm[1], where[1]),
		bodyIT: fmt.Sprintf("Il ciclo %s è passato alla fase %s per %s: l'approvazione spetta al livello che ne è responsabile.", c.TitleIT, nm[0], where[0]),
		bodyEN: fmt.Sprintf("The cycle %s moved to the %s phase for %s: it awaits approval by the level that owns it.", c.TitleEN, nm[1], where[1])})
}

// notifyTarget tells the target's owners that it has gone off track.
func (s *Service) notifyTarget(ctx context.Context, tx *sql.Tx, t Target) error {
	var users []int64
	var err error
	switch t.Owner {
	case OwnerOrganisation:
		users, err = usersOf(ctx, tx, domain.RoleOrganisation, 0, t.OwnerOrganisationID)
	case OwnerRegional:
		users, err = usersOf(ctx, tx, domain.RoleRegional, t.OwnerRegionID, 0)
	default:
		users, err = usersOf(ctx, tx, domain.RoleNational, 0, 0)
	}
	if err != nil {
		return err
	}
	return s.notify(ctx, tx, users, note{kind: "target", dedup: fmt.Sprintf("target:%d:off:%s", t.ID, s.today().Format("2006-01-02")),
		link:      fmt.Sprintf("/governance/targets/%d", t.ID),
		subjectIT: "Obiettivo fuori traiettoria: " + t.Title, subjectEN: "Target off track: " + t.Title,
		bodyIT: fmt.Sprintf("Anche il limite superiore della previsione alla scadenza (%s) è sotto la soglia del %s %%.", t.Deadline, fmtNum(t.Threshold)),
		bodyEN: fmt.Sprintf("Even the upper bound of the forecast at the deadline (%s) is below the %s %% threshold.", t.Deadline, fmtNum(t.Threshold))})
}

// Notifications lists the caller's notifications, newest first, in lang, and how many are
// unread.
func (s *Service) Notifications(ctx context.Context, lang string) ([]Notification, int, error) {
	a := domain.ActorFrom(ctx)
	if !a.Authenticated() || a.UserID == 0 {
		return nil, 0, &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, kind, subject_it, subject_en, body_it, body_en, link, created_at, read_at
		FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT 200`, a.UserID)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Notification{}
	unread := 0
	for rows.Next() {
		var n Notification
		var sit, sen, bit, ben string
		var read sql.NullTime
		if err := rows.Scan(&n.ID, &n.Kind, &sit, &sen, &bit, &ben, &n.Link, &n.CreatedAt, &read); err != nil {
			return nil, 0, err
		}
		n.Subject, n.Body = sit, bit
		if lang == "en" {
			n.Subject, n.Body = sen, ben
		}
		if read.Valid {
			n.ReadAt = &read.Time
		} else {
			unread++
		}
		out = append(out, n)
	}
	return out, unread, rows.Err()
}

// Unread counts the caller's unread notifications (0 for nobody).
func (s *Service) Unread(ctx context.Context) int {
	a := domain.ActorFrom(ctx)
	if a.UserID == 0 {
		return 0
	}
	var n int
	_ = s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, a.UserID).Scan(&n)
	return n
}

// MarkRead marks one of the caller's notifications read (id 0: all of them). Another
// account's notification is not found.
func (s *Service) MarkRead(ctx context.Context, id int64) error {
	a := domain.ActorFrom(ctx)
	if a.UserID == 0 {
		return &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		q := `UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL`
		args := []any{s.now(), a.UserID}
		if id != 0 {
			q += ` AND id = $3`
			args = append(args, id)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 && id != 0 {
			var owner int64
			err := tx.QueryRowContext(ctx, `SELECT user_id FROM notifications WHERE id = $1`, id).Scan(&owner)
			if errors.Is(err, sql.ErrNoRows) || owner != a.UserID {
				return domain.NotFound("notification")
			}
		}
		return nil
	})
}

// Email returns the caller's notification address.
func (s *Service) Email(ctx context.Context) (string, error) {
	a := domain.ActorFrom(ctx)
	var e string
	err := s.DB.Read.QueryRowContext(ctx, `SELECT email FROM notification_settings WHERE user_id = $1`, a.UserID).Scan(&e)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return e, err
}

// SetEmail sets (or, with "", removes) the address the caller's notifications are e-mailed
// to.
func (s *Service) SetEmail(ctx context.Context, addr string) error {
	a := domain.ActorFrom(ctx)
	if a.UserID == 0 {
		return &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
	}
	addr = strings.TrimSpace(addr)
	if addr != "" {
		p, err := mail.ParseAddress(addr)
		if err != nil || p.Address != addr {
			return errK(domain.EINVALID, "email", "gov.err.email", "%q is not an e-mail address", addr)
		}
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO notification_settings (user_id, email, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, updated_at = excluded.updated_at`, a.UserID, addr, s.now())
		return err
	})
}

// SendPending sends the queued e-mails that are due through the SMTP server and returns how
// many were sent. A failure is kept on the row and retried later with a growing delay (at
// most 8 attempts).
func (s *Service) SendPending(ctx context.Context) (int, error) {
	if s.Mail.Addr == "" {
		return 0, nil
	}
	s.mailMu.Lock()
	defer s.mailMu.Unlock()
	type msg struct {
		id       int64
		to, subj string
		body     string
		attempts int
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, to_addr, subject, body, attempts FROM mail_queue WHERE sent_at IS NULL AND attempts < 8 AND next_at <= $1 ORDER BY id LIMIT 100`, s.now())
	if err != nil {
		return 0, err
	}
	var list []msg
	for rows.Next() {
		var m msg
		if err := rows.Scan(&m.id, &m.to, &m.subj, &m.body, &m.attempts); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sent := 0
	for _, m := range list {
		err := s.sendMail(m.to, m.subj, m.body)
		now := s.now()
		if err != nil {
			s.Log.Warn("notification e-mail not sent", "id", m.id, "err", err)
			_, err = s.DB.Write.ExecContext(ctx, `UPDATE mail_queue SET attempts = attempts + 1, last_error = $1, next_at = $2 WHERE id = $3`,
				err.Error(), now.Add(time.Duration(1<<m.attempts)*time.Minute), m.id)
		} else {
			sent++
			_, err = s.DB.Write.ExecContext(ctx, `UPDATE mail_queue SET attempts = attempts + 1, sent_at = $1, last_error = '' WHERE id = $2`, now, m.id)
		}
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// sendMail sends one plain-text UTF-8 message.
func (s *Service) sendMail(to, subject, body string) error {
	from := s.Mail.From
	if from == "" {
		from = "esd@localhost"
	}
	var auth smtp.Auth
	if s.Mail.User != "" {
		host := s.Mail.Addr
		if i := strings.LastIndexByte(host, ':'); i >= 0 {
			host = host[:i]
		}
		auth = smtp.PlainAuth("", s.Mail.User, s.Mail.Password, host)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
		from, to, mimeWord(subject), s.now().Format(time.RFC1123Z))
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n"))
	b.WriteString("\r\n")
	return smtp.SendMail(s.Mail.Addr, auth, from, []string{to}, []byte(b.String()))
}

// mimeWord encodes a header with non-ASCII text (RFC 2047).
func mimeWord(s string) string {
	for _, r := range s {
		if r > 127 {
			return mimeQ.Encode("utf-8", s)
		}
	}
	return s
}

var mimeQ = mime.QEncoding

// Notify writes a notification in both languages for each user inside tx, once per user
// and dedup key, and queues its e-mail like the governance cycle's own: other capabilities
// (badges issued on achievement) notify through it so their notice commits or rolls back
// with what it announces.
func (s *Service) Notify(ctx context.Context, tx *sql.Tx, users []int64, kind, dedup, link, subjectIT, subjectEN, bodyIT, bodyEN string) error {
	return s.notify(ctx, tx, users, note{kind: kind, dedup: dedup, link: link, subjectIT: subjectIT, subjectEN: subjectEN, bodyIT: bodyIT, bodyEN: bodyEN})
}
