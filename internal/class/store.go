package class

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // pure Go: the CLI cross-compiles for Windows and macOS

	"github.com/swarmlab/swarmlab/internal/class/proto"
)

// Store keeps a class in DIR/class.db. SQLite in WAL mode: a write the
// server acknowledged survives a crash of the process, and a second server
// on the same folder reads everything back.
type Store struct {
	db *sql.DB
}

// ErrNotFound: no such learner, hand or token.
var ErrNotFound = errors.New("not found")

const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS learners (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	joined_at INTEGER NOT NULL,
	left_at INTEGER NOT NULL DEFAULT 0,
	seq INTEGER NOT NULL DEFAULT 0,
	state TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS ticks (
	id INTEGER PRIMARY KEY,
	learner_id INTEGER NOT NULL REFERENCES learners(id),
	at INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	current TEXT NOT NULL,
	done INTEGER NOT NULL,
	hint TEXT NOT NULL,
	tick TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ticks_learner ON ticks(learner_id, id);
CREATE TABLE IF NOT EXISTS hands (
	id INTEGER PRIMARY KEY,
	learner_id INTEGER NOT NULL REFERENCES learners(id),
	at INTEGER NOT NULL,
	question TEXT NOT NULL,
	answered_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS broadcasts (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, text TEXT NOT NULL);
`

// OpenStore opens (or creates) the class in dir.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the class folder: %w", err)
	}
	path := filepath.Join(dir, "class.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)")
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	// One writer: SQLite serialises writes anyway, and one connection keeps
	// the pragmas in force.
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	var check string
	if err := db.QueryRow("PRAGMA quick_check").Scan(&check); err != nil || check != "ok" {
		db.Close()
		return nil, fmt.Errorf("the class database %s is damaged (%s %v): keep a copy, then start a new class in another folder", path, check, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Meta returns a setting, "" when unset.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetMeta stores a setting.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value)
	return err
}

// MetaOr returns a setting, storing make() first when it is unset: the
// class code and the teacher's secret stay the same across restarts.
func (s *Store) MetaOr(ctx context.Context, key string, make func() string) (string, error) {
	v, err := s.Meta(ctx, key)
	if err != nil || v != "" {
		return v, err
	}
	v = make()
	return v, s.SetMeta(ctx, key, v)
}

// HashToken is what is stored of a learner's token.
func HashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// AddLearner stores a new learner with the hash of its token.
func (s *Store) AddLearner(ctx context.Context, name, tokenHash string, at time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, "INSERT INTO learners(name, token_hash, joined_at) VALUES(?, ?, ?)", name, tokenHash, at.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("storing a learner: %w", err)
	}
	return res.LastInsertId()
}

// LeaveLearner marks a learner gone; their record stays for the export.
func (s *Store) LeaveLearner(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx, "UPDATE learners SET left_at = ? WHERE id = ?", at.UnixMilli(), id)
	return err
}

// SaveTick stores a tick and the learner's state after it in one
// transaction, refusing a tick whose seq is not above the stored one.
func (s *Store) SaveTick(ctx context.Context, id int64, t proto.Tick, received time.Time, state []byte) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, "UPDATE learners SET seq = ?, state = ? WHERE id = ? AND seq < ? AND left_at = 0", t.Seq, state, id, t.Seq)
	if err != nil {
		return fmt.Errorf("storing a tick: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errReplay
	}
	body, _ := json.Marshal(t)
	done := 0
	for _, st := range t.Steps {
		if st.Status == "done" {
			done++
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO ticks(learner_id, at, seq, current, done, hint, tick) VALUES(?, ?, ?, ?, ?, ?, ?)",
		id, received.UnixMilli(), t.Seq, t.Current, done, t.Hint, body); err != nil {
		return fmt.Errorf("storing a tick: %w", err)
	}
	return tx.Commit()
}

var errReplay = errors.New("tick replayed or out of order")

// AddHand stores a raised hand.
func (s *Store) AddHand(ctx context.Context, id int64, q string, at time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, "INSERT INTO hands(learner_id, at, question) VALUES(?, ?, ?)", id, at.UnixMilli(), q)
	if err != nil {
		return 0, fmt.Errorf("storing a hand: %w", err)
	}
	return res.LastInsertId()
}

// AskOnHand sets the question of an open hand.
func (s *Store) AskOnHand(ctx context.Context, hand int64, q string) error {
	res, err := s.db.ExecContext(ctx, "UPDATE hands SET question = ? WHERE id = ? AND answered_at = 0", q, hand)
	if err != nil {
		return fmt.Errorf("storing a question: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// AnswerHand marks a hand answered.
func (s *Store) AnswerHand(ctx context.Context, hand int64, at time.Time) error {
	res, err := s.db.ExecContext(ctx, "UPDATE hands SET answered_at = ? WHERE id = ? AND answered_at = 0", at.UnixMilli(), hand)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// AddBroadcast stores a teacher's message.
func (s *Store) AddBroadcast(ctx context.Context, text string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, "INSERT INTO broadcasts(at, text) VALUES(?, ?)", at.UnixMilli(), text)
	return err
}

// storedLearner is a learners row.
type storedLearner struct {
	ID        int64
	Name      string
	TokenHash string
	Joined    time.Time
	Left      time.Time
	Seq       int64
	State     []byte
}

func (s *Store) learners(ctx context.Context) ([]storedLearner, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, name, token_hash, joined_at, left_at, seq, state FROM learners ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storedLearner
	for rows.Next() {
		var l storedLearner
		var joined, left int64
		if err := rows.Scan(&l.ID, &l.Name, &l.TokenHash, &joined, &left, &l.Seq, &l.State); err != nil {
			return nil, err
		}
		l.Joined = time.UnixMilli(joined)
		if left != 0 {
			l.Left = time.UnixMilli(left)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// storedHand is a hands row.
type storedHand struct {
	ID       int64     `json:"id"`
	Learner  int64     `json:"learner"`
	At       time.Time `json:"at"`
	Question string    `json:"question"`
	Answered time.Time `json:"answered,omitzero"`
}

func (s *Store) hands(ctx context.Context) ([]storedHand, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, learner_id, at, question, answered_at FROM hands ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storedHand
	for rows.Next() {
		var h storedHand
		var at, ans int64
		if err := rows.Scan(&h.ID, &h.Learner, &at, &h.Question, &ans); err != nil {
			return nil, err
		}
		h.At = time.UnixMilli(at)
		if ans != 0 {
			h.Answered = time.UnixMilli(ans)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// TickRow is one stored tick, for a learner's timeline and the export.
type TickRow struct {
	At      time.Time `json:"at"`
	Seq     int64     `json:"seq"`
	Current string    `json:"current"`
	Done    int       `json:"done"`
	Hint    string    `json:"hint,omitempty"`
}

// Ticks returns a learner's ticks in order (every learner's when id is 0).
func (s *Store) Ticks(ctx context.Context, id int64, fn func(learner int64, t TickRow) error) error {
	q := "SELECT learner_id, at, seq, current, done, hint FROM ticks"
	var args []any
	if id != 0 {
		q += " WHERE learner_id = ?"
		args = append(args, id)
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var t TickRow
		var lid, at int64
		if err := rows.Scan(&lid, &at, &t.Seq, &t.Current, &t.Done, &t.Hint); err != nil {
			return err
		}
		t.At = time.UnixMilli(at)
		if err := fn(lid, t); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Broadcasts returns the teacher's messages in order.
func (s *Store) Broadcasts(ctx context.Context) ([]Broadcast, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT at, text FROM broadcasts ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Broadcast
	for rows.Next() {
		var b Broadcast
		var at int64
		if err := rows.Scan(&at, &b.Text); err != nil {
			return nil, err
		}
		b.At = time.UnixMilli(at)
		out = append(out, b)
	}
	return out, rows.Err()
}

// Broadcast is a teacher's message.
type Broadcast struct {
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}
