package serve

import (
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// requestLine is what the log says of one request.
type requestLine struct {
	method, path, remote string
	status               int
	ms                   float64
	bytesIn, bytesOut    int64
	model                string // a predict request's, else ""
	inputs               int    // with model
	err                  string // the error message sent, or ""
}

// attrs are the line's fields for slog.
func (l *requestLine) attrs() []slog.Attr {
	attrs := []slog.Attr{
		slog.String("method", l.method), slog.String("path", l.path), slog.Int("status", l.status),
		slog.Float64("ms", l.ms), slog.Int64("bytes_in", l.bytesIn),
		slog.Int64("bytes_out", l.bytesOut), slog.String("remote", l.remote),
	}
	if l.model != "" {
		attrs = append(attrs, slog.String("model", l.model), slog.Int("inputs", l.inputs))
	}
	if l.err != "" {
		attrs = append(attrs, slog.String("error", l.err))
	}
	return attrs
}

// appendJSON appends the line logged at t as slog's JSON handler (without
// options) writes it at level Info with the message "request" —
// TestRequestLineIsSlog and FuzzRequestLine hold the two to the same
// bytes — without slog's generic path: a float goes through
// encoding/json there, and the line cost a request several microseconds.
func (l *requestLine) appendJSON(b []byte, t time.Time) []byte {
	b = append(b, `{"time":"`...)
	b = t.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"request","method":`...)
	b = appendLogString(b, l.method)
	b = append(b, `,"path":`...)
	b = appendLogString(b, l.path)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(l.status), 10)
	b = append(b, `,"ms":`...)
	if l.ms == 0 || (1e-6 <= l.ms && l.ms < 1e21) {
		// encoding/json's form of such a number.
		b = strconv.AppendFloat(b, l.ms, 'f', -1, 64)
	} else {
		j, _ := json.Marshal(l.ms) // a duration is finite
		b = append(b, j...)
	}
	b = append(b, `,"bytes_in":`...)
	b = strconv.AppendInt(b, l.bytesIn, 10)
	b = append(b, `,"bytes_out":`...)
	b = strconv.AppendInt(b, l.bytesOut, 10)
	b = append(b, `,"remote":`...)
	b = appendLogString(b, l.remote)
	if l.model != "" {
		b = append(b, `,"model":`...)
		b = appendLogString(b, l.model)
		b = append(b, `,"inputs":`...)
		b = strconv.AppendInt(b, int64(l.inputs), 10)
	}
	if l.err != "" {
		b = append(b, `,"error":`...)
		b = appendLogString(b, l.err)
	}
	return append(b, "}\n"...)
}

// appendLogString appends s quoted as slog's JSON handler quotes strings:
// the escapes of encoding/json without its HTML ones, invalid UTF-8 as
// \ufffd, and U+2028 and U+2029 escaped.
func appendLogString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}

// lineBuffers are the request lines' buffers, reused.
var lineBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// logRequest writes l, of a request answered at t, to Options.RequestLog,
// one Write a line.
func (s *Server) logRequest(l *requestLine, t time.Time) {
	bp := lineBuffers.Get().(*[]byte)
	*bp = l.appendJSON((*bp)[:0], t)
	s.requestLogMu.Lock()
	s.o.RequestLog.Write(*bp)
	s.requestLogMu.Unlock()
	if cap(*bp) <= 64<<10 {
		lineBuffers.Put(bp)
	}
}
