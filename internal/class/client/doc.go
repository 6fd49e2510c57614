// Package client is the learner's side of a class: the membership that
// 'swarmlab class join' remembers (class.json, mode 0600, in the user's
// config folder), the reporter that sends the tutorial's state to the class
// server in the background, queued on disk while the server is away, the
// raised hand, and the node image fetched from the room's download point.
//
// Only proto's types are sent: the tutorial's state (step ids and statuses,
// the hint shown, the lab's state, counts of nodes and services), a raised
// hand's question, and the name given at join. Requests are outbound HTTP
// only; the server can answer them, never start anything on the learner's
// machine.
package client
