package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/swarmlab/swarmlab/internal/serve"
)

// Serve serves h on ln until ctx ends, through serve.Run's lifecycle. There
// is no write timeout: event streams and terminals stay open for hours; a
// client that sends nothing gets its connection closed after the header
// timeout.
func Serve(ctx context.Context, name string, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(discardIfNil(log).Handler(), slog.LevelDebug),
	}
	return serve.Run(ctx, serve.Options{Logger: log, ShutdownTimeout: 3 * time.Second},
		serve.Endpoint{Name: name, Listener: ln, Server: srv})
}

func discardIfNil(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
