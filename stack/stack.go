package stack

import "embed"

// Files are the stack files, by base name.
//
//go:embed *.yml
var Files embed.FS

// Stacks are the lab's stacks in deploy order: stack name and file.
var Stacks = []struct{ Name, File string }{
	{"swtest", "webapi.yml"},
	{"visualizer", "visualizer.yml"},
	{"ingress", "ingress.yml"},
}
