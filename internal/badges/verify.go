package badges

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"slices"
	"strings"
	"time"
)

// Step is one check of a verification and its result.
type Step struct {
	Name   string `json:"name"` // format, proof, type, issuer, status, expiry
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Report is a verification's outcome: Valid only if every step passed.
type Report struct {
	Valid      bool           `json:"valid"`
	Steps      []Step         `json:"steps"`
	Name       string         `json:"name,omitempty"`
	Credential map[string]any `json:"credential,omitempty"`
}

func (r *Report) add(name string, ok bool, format string, args ...any) {
	r.Steps = append(r.Steps, Step{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// Verify checks a credential given as a VC-JWT, as the JSON of one of our credentials, or as
// a baked PNG, step by step: format, proof, type, issuer, status (revocation) and expiry.
// It needs no login and fetches nothing from the network.
func (s *Service) Verify(ctx context.Context, input []byte) Report {
	var r Report
	in := bytes.TrimSpace(input)
	if bytes.HasPrefix(in, pngMagic) {
		text, err := Unbake(in)
		if err != nil {
			r.add("format", false, "PNG without an openbadgecredential iTXt chunk: %v", err)
			return r
		}
		in = []byte(strings.TrimSpace(text))
		r.add("format", true, "baked PNG badge")
	}
	var cred map[string]any
	switch {
	case len(in) == 0:
		r.add("format", false, "empty input")
		return r
	case in[0] == '{':
		if err := json.Unmarshal(in, &cred); err != nil {
			r.add("format", false, "not valid JSON: %v", err)
			return r
		}
		if len(r.Steps) == 0 {
			r.add("format", true, "JSON credential")
		}
		s.checkJSONProof(ctx, &r, cred)
	case bytes.Count(in, []byte(".")) == 2:
		if len(r.Steps) == 0 {
			r.add("format", true, "VC-JWT (compact JWS)")
		}
		payload, kid, err := s.verifyJWT(ctx, string(in))
		if err != nil {
			r.add("proof", false, "%v", err)
			// Show the claims anyway, to say what was presented (unverified).
			cred = unverifiedPayload(string(in))
		} else {
			r.add("proof", true, "RS256 signature verified with the issuer key %s", kid)
			cred = payload
		}
	default:
		r.add("format", false, "neither JSON, a JWT nor a PNG")
		return r
	}
	if cred == nil {
		return r
	}
	r.Credential = cred
	r.Name, _ = cred["name"].(string)
	if isCLR(cred) {
		s.checkCLRType(ctx, &r, cred)
	} else {
		s.checkType(&r, cred)
	}
	s.checkIssuer(ctx, &r, cred)
	s.checkStatus(ctx, &r, cred)
	s.checkExpiry(&r, cred)
	r.Valid = true
	for _, st := range r.Steps {
		r.Valid = r.Valid && st.OK
	}
	return r
}

func unverifiedPayload(tok string) map[string]any {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil
	}
	raw, err := decodeSegment(parts[1])
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// checkJSONProof verifies a credential given as JSON. Our credentials carry their proof as a
// VC-JWT (an external proof), so the JSON is checked against the signed JWT issued under its
// id: the JWT's signature must verify and the JSON must equal its payload, field for field.
func (s *Service) checkJSONProof(ctx context.Context, r *Report, cred map[string]any) {
	if cred["proof"] != nil {
		vm, err := s.verifyProof(ctx, cred)
		if err != nil {
			r.add("proof", false, "Data Integrity proof (eddsa-rdfc-2022): %v", err)
			return
		}
		r.add("proof", true, "Data Integrity proof eddsa-rdfc-2022 verified with %s", vm)
		return
	}
	id, _ := cred["id"].(string)
	var tok string
	err := s.DB.Read.QueryRowContext(ctx, `SELECT jwt FROM badge_credentials WHERE uuid = $1`, strings.TrimPrefix(id, "urn:uuid:")).Scan(&tok)
	if err != nil {
		r.add("proof", false, "no proof: the JSON carries no embedded proof and %q is not a credential this issuer signed", id)
		return
	}
	payload, kid, err := s.verifyJWT(ctx, tok)
	if err != nil {
		r.add("proof", false, "the issuer's VC-JWT for %s does not verify: %v", id, err)
		return
	}
	for _, k := range []string{"iss", "jti", "nbf", "exp", "iat", "sub"} {
		delete(payload, k)
	}
	a, _ := json.Marshal(payload)
	b, _ := json.Marshal(cred)
	if !bytes.Equal(a, b) {
		r.add("proof", false, "the JSON differs from what the issuer signed (%s): it was changed", firstDifference(payload, cred))
		return
	}
	r.add("proof", true, "equal to the VC-JWT signed by the issuer key %s", kid)
}

// firstDifference names the first top-level field that differs, for the report.
func firstDifference(want, got map[string]any) string {
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		a, _ := json.Marshal(want[k])
		b, _ := json.Marshal(got[k])
		if !bytes.Equal(a, b) {
			return "field " + k
		}
	}
	return "formatting"
}

func types(v any) []string {
	var out []string
	switch t := v.(type) {
	case string:
		out = append(out, t)
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// isCLR says whether cred is a CLR 2.0 learner record rather than a single badge.
func isCLR(cred map[string]any) bool { return slices.Contains(types(cred["type"]), "ClrCredential") }

// bundled returns the credentials a CLR's subject carries.
func bundled(cred map[string]any) []map[string]any {
	sub, _ := cred["credentialSubject"].(map[string]any)
	var out []map[string]any
	vcs, _ := sub["verifiableCredential"].([]any)
	for _, v := range vcs {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// checkCLRType checks a ClrCredential's shape and every bundled credential: each must be an
// OpenBadgeCredential of ours whose own Data Integrity proof verifies, so a record cannot
// smuggle in a badge the issuer never signed even under a valid outer proof.
func (s *Service) checkCLRType(ctx context.Context, r *Report, cred map[string]any) {
	ts := types(cred["type"])
	ctxs := types(cred["@context"])
	sub, _ := cred["credentialSubject"].(map[string]any)
	switch {
	case !slices.Contains(ts, "VerifiableCredential"):
		r.add("type", false, "type %v is not a VerifiableCredential", ts)
		return
	case len(ctxs) < 2 || ctxs[0] != ContextVC || ctxs[1] != ContextCLR:
		r.add("type", false, "@context %v is not [VC 2.0, CLR 2.0, …]", ctxs)
		return
	case sub == nil || !slices.Contains(types(sub["type"]), "ClrSubject"):
		r.add("type", false, "the subject is not a ClrSubject")
		return
	}
	vcs := bundled(cred)
	for i, vc := range vcs {
		var inner Report
		s.checkType(&inner, vc)
		if !inner.Steps[0].OK {
			r.add("type", false, "bundled credential %d of %d: %s", i+1, len(vcs), inner.Steps[0].Detail)
			return
		}
		if _, err := s.verifyProof(ctx, vc); err != nil {
			r.add("type", false, "bundled credential %d of %d (%v): its proof fails: %v", i+1, len(vcs), vc["id"], err)
			return
		}
	}
	r.add("type", true, "ClrCredential bundling %d OpenBadgeCredential(s), each with a verified proof", len(vcs))
}

func (s *Service) checkType(r *Report, cred map[string]any) {
	ts := types(cred["type"])
	ctxs := types(cred["@context"])
	sub, _ := cred["credentialSubject"].(map[string]any)
	switch {
	case !slices.Contains(ts, "VerifiableCredential") || !(slices.Contains(ts, "OpenBadgeCredential") || slices.Contains(ts, "AchievementCredential")):
		r.add("type", false, "type %v is not an OpenBadgeCredential", ts)
	case len(ctxs) < 2 || ctxs[0] != ContextVC || !strings.HasPrefix(ctxs[1], "https://purl.imsglobal.org/spec/ob/v3p0/context"):
		r.add("type", false, "@context %v is not [VC 2.0, OB 3.0]", ctxs)
	case sub == nil || (sub["id"] == nil && sub["identifier"] == nil):
		r.add("type", false, "the subject has neither id nor identifier")
	case sub["achievement"] == nil:
		r.add("type", false, "the subject has no achievement")
	default:
		r.add("type", true, "OpenBadgeCredential with an AchievementSubject")
	}
}

func (s *Service) checkIssuer(ctx context.Context, r *Report, cred map[string]any) {
	var id string
	switch v := cred["issuer"].(type) {
	case string:
		id = v
	case map[string]any:
		id, _ = v["id"].(string)
	}
	if id != s.IssuerID(ctx) {
		r.add("issuer", false, "unknown issuer %q (this service verifies credentials of %s)", id, s.IssuerID(ctx))
		return
	}
	r.add("issuer", true, "%s (%s)", IssuerName, id)
}

func (s *Service) checkStatus(ctx context.Context, r *Report, cred map[string]any) {
	if isCLR(cred) {
		// A learner record has no status of its own: it is as good as what it bundles.
		vcs := bundled(cred)
		for i, vc := range vcs {
			var inner Report
			s.checkStatus(ctx, &inner, vc)
			if !inner.Steps[0].OK {
				r.add("status", false, "bundled credential %d of %d: %s", i+1, len(vcs), inner.Steps[0].Detail)
				return
			}
		}
		r.add("status", true, "none of the %d bundled credentials is revoked", len(vcs))
		return
	}
	st, _ := cred["credentialStatus"].(map[string]any)
	if st == nil {
		r.add("status", false, "no credentialStatus: revocation cannot be checked")
		return
	}
	if st["type"] != "BitstringStatusListEntry" || st["statusListCredential"] != s.base(ctx)+"/badges/status/1" {
		r.add("status", false, "unknown status list %v", st["statusListCredential"])
		return
	}
	revoked, err := s.statusOf(ctx, fmt.Sprint(st["statusListIndex"]))
	if err != nil {
		r.add("status", false, "%v", err)
		return
	}
	if revoked {
		r.add("status", false, "revoked (bit %v of the status list is set)", st["statusListIndex"])
		return
	}
	r.add("status", true, "not revoked (bit %v of the status list is clear)", st["statusListIndex"])
}

func (s *Service) checkExpiry(r *Report, cred map[string]any) {
	now := s.now()
	from, err := time.Parse(time.RFC3339, fmt.Sprint(cred["validFrom"]))
	if err != nil {
		r.add("expiry", false, "validFrom %v is not a date-time", cred["validFrom"])
		return
	}
	if from.After(now.Add(time.Minute)) {
		r.add("expiry", false, "not valid before %s", from.Format(time.RFC3339))
		return
	}
	if vu, ok := cred["validUntil"].(string); ok {
		until, err := time.Parse(time.RFC3339, vu)
		if err != nil || !until.After(now) {
			r.add("expiry", false, "expired on %s", vu)
			return
		}
	}
	r.add("expiry", true, "valid from %s, no expiry", from.Format("2006-01-02"))
}

// Bake returns a PNG badge image carrying the credential (the compact VC-JWT) in an iTXt
// chunk with keyword "openbadgecredential", as OB 3.0 baking defines.
func Bake(credential string) ([]byte, error) {
	const size = 240
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	blue := color.RGBA{0x00, 0x66, 0xcc, 0xff}
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}
	c := float64(size) / 2
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			d := (float64(x)-c)*(float64(x)-c) + (float64(y)-c)*(float64(y)-c)
			switch {
			case d < 100*100 && d > 84*84:
				img.Set(x, y, white)
			case d <= 112*112:
				img.Set(x, y, blue)
			}
		}
	}
	// A check mark in the middle.
	for i := 0; i < 60; i++ {
		for w := -5; w <= 5; w++ {
			if i < 25 {
				img.Set(85+i, 120+i+w, white)
			} else {
				img.Set(85+i, 170-(i-25)*2+w, white)
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	raw := b.Bytes()
	// Insert the iTXt chunk right after IHDR (8 magic + 25 IHDR bytes).
	data := append([]byte("openbadgecredential\x00\x00\x00\x00\x00"), credential...)
	chunk := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(chunk, uint32(len(data)))
	copy(chunk[4:], "iTXt")
	chunk = append(chunk, data...)
	crc := crc32.ChecksumIEEE(chunk[4:])
	chunk = binary.BigEndian.AppendUint32(chunk, crc)
	out := append([]byte{}, raw[:33]...)
	out = append(out, chunk...)
	return append(out, raw[33:]...), nil
}

// Unbake returns the text of the openbadgecredential iTXt chunk of a PNG.
func Unbake(p []byte) (string, error) {
	if !bytes.HasPrefix(p, pngMagic) {
		return "", errors.New("not a PNG")
	}
	for i := 8; i+12 <= len(p); {
		n := int(binary.BigEndian.Uint32(p[i:]))
		if n < 0 || i+12+n > len(p) {
			return "", errors.New("truncated chunk")
		}
		typ := string(p[i+4 : i+8])
		data := p[i+8 : i+8+n]
		if crc32.ChecksumIEEE(p[i+4:i+8+n]) != binary.BigEndian.Uint32(p[i+8+n:]) {
			return "", fmt.Errorf("bad CRC in chunk %s", typ)
		}
		if typ == "iTXt" && bytes.HasPrefix(data, []byte("openbadgecredential\x00")) {
			rest := data[len("openbadgecredential\x00"):]
			if len(rest) < 2 || rest[0] != 0 {
				return "", errors.New("compressed iTXt not supported")
			}
			rest = rest[2:]
			// language tag and translated keyword, each NUL-terminated
			for k := 0; k < 2; k++ {
				j := bytes.IndexByte(rest, 0)
				if j < 0 {
					return "", errors.New("malformed iTXt")
				}
				rest = rest[j+1:]
			}
			return string(rest), nil
		}
		if typ == "IEND" {
			break
		}
		i += 12 + n
	}
	return "", errors.New("no openbadgecredential chunk")
}
