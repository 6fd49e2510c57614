// Package tutorial implements 'swarmlab tutorial': where the learner is in
// the handout on a hands-on lab and what to type next, live with --watch;
// 'tutorial goto STEP' to catch up and 'tutorial reset' to start over. The
// steps and their checks are in internal/tutorial.
package tutorial
