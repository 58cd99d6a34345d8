package certificate

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"esd/internal/pdfdoc"
)

// RoleLabel is the Italian (or English) name of a participation role code.
func RoleLabel(code, lang string) string {
	it := map[string]string{"P": "partecipante", "D": "docente", "T": "tutor", "R": "relatore"}
	en := map[string]string{"P": "participant", "D": "teacher", "T": "tutor", "R": "speaker"}
	m := it
	if lang == "en" {
		m = en
	}
	if s, ok := m[code]; ok {
		return s
	}
	return code
}

// TypeLabel names an event type (RES, FAD, FSC, BLENDED) in full.
func TypeLabel(t, lang string) string {
	it := map[string]string{"RES": "RES – formazione residenziale", "FAD": "FAD – formazione a distanza", "FSC": "FSC – formazione sul campo", "BLENDED": "formazione blended"}
	en := map[string]string{"RES": "RES – residential training", "FAD": "FAD – distance learning", "FSC": "FSC – on-the-job training", "BLENDED": "blended training"}
	m := it
	if lang == "en" {
		m = en
	}
	if s, ok := m[t]; ok {
		return s
	}
	return t
}

// Date writes a YYYY-MM-DD date as DD/MM/YYYY (as written when it does not parse).
func Date(s string) string {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return s
	}
	return t.Format("02/01/2006")
}

// Credits writes a credit amount the Italian way: 12,5 and 12 (no trailing ",0").
func Credits(v float64) string {
	return strings.ReplaceAll(strconv.FormatFloat(v, 'f', -1, 64), ".", ",")
}

type langKey struct{}

// WithLanguage sets the language of the PDFs rendered under ctx ("en" for English; Italian
// otherwise, the default).
func WithLanguage(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, langKey{}, lang)
}

// PDF renders the certificate the caller may see as the attestato di partecipazione (in the
// language of WithLanguage, Italian by default) and returns it with its file name. A revoked
// certificate still renders, marked as revoked.
func (s *Service) PDF(ctx context.Context, id int64) ([]byte, string, error) {
	lang, _ := ctx.Value(langKey{}).(string)
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, "", err
	}
	pdf, err := s.render(ctx, c, lang)
	if err != nil {
		return nil, "", err
	}
	return pdf, fmt.Sprintf("attestato-%s-%s.pdf", strings.ToLower(c.Statement.EventCode), c.Code), nil
}

func (s *Service) render(ctx context.Context, c Certificate, lang string) ([]byte, error) {
	en := lang == "en"
	t := func(it, eng string) string {
		if en {
			return eng
		}
		return it
	}
	st := c.Statement
	url := s.VerifyURL(ctx, c.Code)
	qr, err := qrcode.Encode(url, qrcode.Medium, 360)
	if err != nil {
		return nil, fmt.Errorf("certificate %d: QR code: %w", c.ID, err)
	}
	doc := pdfdoc.New(pdfdoc.Options{Title: t("Attestato di partecipazione", "Certificate of attendance") + " " + c.Code, Lang: lang, Created: c.IssuedAt,
		Footer: t("Verifica: ", "Verify: ") + url})
	doc.Heading(t("Attestato di partecipazione", "Certificate of attendance"), 1)
	doc.Paragraph(t("Evento formativo ECM – Educazione Continua in Medicina", "ECM continuing medical education event"))
	doc.Gap(4)
	if c.RevokedAt != nil {
		doc.Text(t("ATTESTATO REVOCATO il ", "CERTIFICATE REVOKED on ")+c.RevokedAt.Format("02/01/2006")+": "+c.RevokeReason, 11, true)
		doc.Gap(3)
	}
	top := doc.Y()
	qrEnd := doc.PNG("qr", qr, 38)
	doc.SetY(top)
	doc.Paragraph(t("Si attesta che", "This is to certify that"))
	doc.TextWidth(st.GivenName+" "+st.FamilyName, 14, true, doc.ContentWidth()-44)
	doc.Field(t("Codice fiscale", "Tax code"), st.CF)
	doc.Gap(2)
	doc.Paragraph(t("ha partecipato all'evento formativo", "took part in the training event"))
	doc.TextWidth(st.EventTitle, 12, true, doc.ContentWidth()-44)
	if doc.Y() < qrEnd {
		doc.SetY(qrEnd + 2)
	}
	doc.Gap(3)
	doc.Field(t("Codice evento", "Event code"), st.EventCode)
	doc.Field(t("Edizione", "Edition"), fmt.Sprintf("%d, %s %s %s %s", st.EditionNumber, t("dal", "from"), Date(st.StartDate), t("al", "to"), Date(st.EndDate)))
	doc.Field(t("Tipologia", "Type"), TypeLabel(st.EventType, lang))
	if st.Hours > 0 {
		doc.Field(t("Durata", "Duration"), Credits(st.Hours)+t(" ore", " hours"))
	}
	doc.Field(t("Ruolo", "Role"), RoleLabel(st.Role, lang))
	doc.Field(t("Crediti ECM", "ECM credits"), Credits(st.Credits))
	doc.Field(t("Data di conseguimento", "Date earned"), Date(st.CompletedOn))
	obj := strconv.Itoa(st.ObjectiveCode)
	if st.ObjectiveName != "" {
		obj += " – " + st.ObjectiveName
	}
	doc.Field(t("Obiettivo formativo ECM", "ECM objective"), obj)
	doc.Field(t("Provider", "Provider"), strings.TrimSpace(st.ProviderName+" ("+st.ProviderCode+")"))
	doc.Gap(6)
	doc.Field(t("Codice di verifica", "Verification code"), c.Code)
	doc.Field(t("Rilasciato il", "Issued on"), c.IssuedAt.Format("02/01/2006"))
	doc.Gap(3)
	doc.Small(t("L'autenticità di questo attestato si verifica senza registrazione all'indirizzo "+url+" o inquadrando il codice QR: la pagina mostra ciò che l'attestato dichiara e se è stato revocato.",
		"This certificate can be verified without an account at "+url+" or by scanning the QR code: the page shows what the certificate states and whether it was revoked."))
	return doc.Bytes()
}
