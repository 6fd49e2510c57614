// Package tutorial follows a learner through the handout on a hands-on lab
// ('swarmlab up --hands-on'): the handout's steps in order, each with what to
// type and where, and a check that reads the lab's real state (the manager's
// engine, every node's own engine, the registry's catalog, the host engine's
// images and containers, and the host ports), with a hint from what the state
// shows when a step went wrong.
//
// Files: steps.go lists the steps (Steps); checks.go and checks_stack.go
// hold their checks; state.go is the State they read, which read.go fills
// from a lab (tests write it by hand); progress.go works out where the
// learner is (Evaluate); output.go prints it as text or JSON;
// fit.go fits it to a terminal's size for --watch; lang.go holds
// the two languages; panel.go publishes it on the swarm, where the
// visualizer shows it and where the steps seen done are remembered; watch.go
// reads again and again; goto.go brings the lab to the start of any step
// (checkpoints) and resets it, with what each target takes in goto_ops.go.
//
// How to add a step: add a Step to Steps at its place in the handout, with a
// stable ID, the handout's title in both languages (L{English, Japanese}),
// where it is typed and the commands verbatim. If it leaves a trace in the
// lab, give it a Check that reads only the State (add what it needs to State
// and to Reader.Read), returns Done when the trace is there, Undone when the
// state shows it was taken back, and a Hint for each mistake the state can
// show; mark it Transient when a later step removes its trace by design.
// Give it an Effect on the Target and teach goto.go to make and undo that
// target. A step without a trace has no Check: it is shown and never blocks.
// Then extend typed() in fake_test.go, so that the learner test types it, and
// add its mistakes to TestHints.
package tutorial
