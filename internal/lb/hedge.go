package lb

import "time"

// A task on a node that lost power does not refuse connections: its
// packets vanish, and a connect to it waits for its whole timeout. So a
// connect still pending after HedgeDelay is raced against a connect to
// another upstream, and whichever connects first carries the request.
// Only connects are raced: a request is written to exactly one connection.

type dialResult struct {
	u   *Upstream
	c   *upConn
	err error
}

// connect returns a connection for a request that selected u: a kept-alive
// one of u (see keptAlive), a new one to u, or, when u's connect lags, one
// to the upstream alt picks instead. It returns the upstream the connection goes to. A
// connect that fails (or a racing one that lost and then failed) is
// reported to failed; a loser that connects later joins its upstream's
// pool.
func (t *Transport) connect(u *Upstream, fresh bool, alt func(exclude *Upstream) *Upstream, failed func(*Upstream, error)) (*upConn, *Upstream, bool, error) {
	if c := t.keptAlive(u, fresh); c != nil {
		return c, u, true, nil
	}
	delay := t.hedgeDelay()
	if delay < 0 {
		c, err := t.dial(u)
		return c, u, false, err
	}
	results := make(chan dialResult, 2)
	go t.dialTo(u, results)
	timer := time.NewTimer(delay)
	defer timer.Stop()
	pending, hedged := 1, false
	var firstErr error
	for pending > 0 {
		select {
		case r := <-results:
			pending--
			if r.err == nil {
				if pending > 0 {
					go t.settle(results, failed)
				}
				return r.c, r.u, false, nil
			}
			if r.u != u {
				failed(r.u, r.err) // the caller reports u's own failure
			}
			if firstErr == nil || r.u == u {
				firstErr = r.err
			}
		case <-timer.C:
			if hedged {
				continue
			}
			hedged = true
			v := alt(u)
			if v == nil {
				continue
			}
			if c := t.keptAlive(v, fresh); c != nil {
				go t.settle(results, failed)
				return c, v, true, nil
			}
			pending++
			go t.dialTo(v, results)
		}
	}
	return nil, u, false, firstErr
}

// dialTo connects to u for the race. It may outlive the request that
// started it: the loser's result still counts (a pooled connection, or a
// failure to report).
func (t *Transport) dialTo(u *Upstream, results chan<- dialResult) {
	c, err := t.dial(u)
	results <- dialResult{u, c, err}
}

// settle waits for the connect that lost the race.
func (t *Transport) settle(results <-chan dialResult, failed func(*Upstream, error)) {
	r := <-results
	if r.err != nil {
		failed(r.u, r.err)
		return
	}
	t.release(r.u, r.c)
}
