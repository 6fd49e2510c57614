package registry

// registry/storage logs through logrus's standard logger, in logrus's own
// format on stderr. Its lines go to the registry's slog logger instead,
// one level down: what storage calls an error (a digest that does not
// match, say) is the client's, and the handler logs the server's own
// failures itself.

import (
	"io"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/sirupsen/logrus"
)

var (
	storageLog     atomic.Pointer[slog.Logger]
	storageLogOnce sync.Once
)

// routeStorageLogs sends storage's logs to l from now on. logrus is
// global, so the last registry made in a process gets them.
func routeStorageLogs(l *slog.Logger) {
	storageLog.Store(l)
	storageLogOnce.Do(func() {
		logrus.SetOutput(io.Discard)
		logrus.AddHook(logrusHook{})
	})
}

type logrusHook struct{}

func (logrusHook) Levels() []logrus.Level { return logrus.AllLevels }

func (logrusHook) Fire(e *logrus.Entry) error {
	l := storageLog.Load()
	if l == nil {
		return nil
	}
	level := slog.LevelDebug
	if e.Level <= logrus.WarnLevel {
		level = slog.LevelWarn
	}
	attrs := make([]any, 0, 2*len(e.Data)+2)
	attrs = append(attrs, "component", "storage")
	for k, v := range e.Data {
		if k != "go.version" {
			attrs = append(attrs, k, v)
		}
	}
	l.Log(e.Context, level, e.Message, attrs...)
	return nil
}
