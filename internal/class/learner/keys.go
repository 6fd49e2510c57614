package learner

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/swarmlab/swarmlab/internal/class/client"
)

// Keys reads lines from in until ctx ends or in closes: "h" or
// "h QUESTION" raises a hand. said gets what to show.
func Keys(ctx context.Context, in io.Reader, said func(string)) {
	lineKeys(ctx, in, func(ctx context.Context, q string) error {
		_, err := client.RaiseHand(ctx, q)
		return err
	}, func(msg [2]string) { said(msg[0]) })
}

// raiser raises a hand with a question ("" for none).
type raiser func(ctx context.Context, question string) error

func lineKeys(ctx context.Context, in io.Reader, raise raiser, said func([2]string)) {
	sc := bufio.NewScanner(in)
	for sc.Scan() && ctx.Err() == nil {
		line := strings.TrimSpace(sc.Text())
		if line != "h" && !strings.HasPrefix(line, "h ") {
			continue
		}
		said(told(raise(ctx, strings.TrimSpace(strings.TrimPrefix(line, "h")))))
	}
}

// singleKeys reads single keys from in until ctx ends or in closes: h
// raises a hand at once. The keys that send escape sequences (arrows,
// Home, function keys) are skipped whole, so that Home's ESC [ H raises
// nothing.
func singleKeys(ctx context.Context, in io.Reader, raise raiser, said func([2]string)) {
	const (
		plain = iota
		esc   // after ESC
		csi   // after ESC [: up to a final byte
		ss3   // after ESC O: one byte
	)
	state := plain
	buf := make([]byte, 64)
	for ctx.Err() == nil {
		n, err := in.Read(buf)
		for _, b := range buf[:n] {
			switch {
			case state == esc && b == '[':
				state = csi
			case state == esc && b == 'O':
				state = ss3
			case state == esc, state == ss3:
				state = plain // Alt+key, or SS3's one byte
			case state == csi:
				if b >= 0x40 && b <= 0x7e {
					state = plain
				}
			case b == 0x1b:
				state = esc
			case (b == 'h' || b == 'H') && ctx.Err() == nil:
				said(told(raise(ctx, "")))
			}
		}
		if err != nil {
			return
		}
		if n > 0 && state == esc && n < len(buf) {
			state = plain // the Esc key alone
		}
	}
}

// told is what came of raising a hand, in English and Japanese.
func told(err error) [2]string {
	var se *client.StatusError
	switch {
	case err == nil:
		at := time.Now().Format("15:04:05")
		return [2]string{"hand raised at " + at, at + " に手を挙げました"}
	case errors.As(err, &se) && se.Code == http.StatusConflict:
		return [2]string{"your hand is already up", "すでに手を挙げています"}
	default:
		return [2]string{"hand not raised: " + err.Error(), "手を挙げられませんでした: " + err.Error()}
	}
}

// Keys reads the keyboard for hands in the background until ctx ends.
// When in is a terminal it is put in single-key mode, where h alone raises
// a hand: no line buffering and no echo, while output processing (so "\n"
// still returns the carriage) and Ctrl-C as a signal stay. Otherwise (a
// pipe, a test) a line "h" or "h QUESTION" raises one. stop puts the
// terminal back as it was: call it on every way out (a second call does
// nothing); a panic while reading keys calls it too.
func (s *Session) Keys(ctx context.Context, in io.Reader, said func(string)) (stop func()) {
	if s == nil || in == nil {
		return func() {}
	}
	restore := func() {}
	single := false
	if f, ok := in.(*os.File); ok {
		if term.IsTerminal(int(f.Fd())) && background(int(f.Fd())) {
			return func() {} // the keyboard is the foreground job's
		}
		if r, err := singleKeyMode(f); err == nil {
			restore, single = r, true
		}
	}
	var once sync.Once
	stop = func() { once.Do(restore) }
	s.mu.Lock()
	s.single = single
	s.mu.Unlock()
	note := func(msg [2]string) {
		s.mu.Lock()
		s.note = msg
		redraw := s.redraw
		s.mu.Unlock()
		if said != nil {
			said(msg[0])
		}
		if redraw != nil {
			redraw()
		}
	}
	go func() {
		defer func() {
			if p := recover(); p != nil {
				stop()
				panic(p)
			}
		}()
		if single {
			singleKeys(ctx, in, s.r.RaiseHand, note)
		} else {
			lineKeys(ctx, in, s.r.RaiseHand, note)
		}
	}()
	return stop
}

// singleKeyMode puts the terminal f in single-key mode (cbreak) and
// returns what puts it back; an error when f is no terminal or the mode
// cannot be set there.
func singleKeyMode(f *os.File) (restore func(), err error) {
	fd := int(f.Fd())
	if !term.IsTerminal(fd) {
		return nil, errors.New("not a terminal")
	}
	old, err := term.GetState(fd)
	if err != nil {
		return nil, err
	}
	if err := cbreak(fd); err != nil {
		_ = term.Restore(fd, old)
		return nil, err
	}
	return func() { _ = term.Restore(fd, old) }, nil
}
