package web

import (
	"mime"
	"net/http"
	"strconv"
)

// Download is an API result sent as a file (an export) rather than as JSON: an APIFunc
// returns a *Download and the wrapper writes its bytes with its media type and, if
// Filename is set, as an attachment.
type Download struct {
	ContentType string
	Filename    string
	Body        []byte
}

func (d *Download) write(w http.ResponseWriter) {
	h := w.Header()
	ct := d.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(d.Body)))
	if d.Filename != "" {
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Filename}))
	}
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(d.Body)
}

// WriteDownload sends d from a page handler (the UI's download links).
func (c *Ctx) WriteDownload(d *Download) error {
	d.write(c.W)
	return nil
}
