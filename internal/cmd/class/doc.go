// Package class implements 'swarmlab class': serve (the teacher's class
// server and board), prepare (the room's download point), and the learner's
// join, leave, hand and status.
package class
