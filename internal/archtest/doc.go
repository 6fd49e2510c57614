// Package archtest holds the tests of rules that span the whole source
// tree rather than one package: that every package's file map (a doc.go
// paragraph that starts with "Files:") names exactly the package's non-test
// Go files, so that a newcomer reading it finds every file and no file that
// is gone; and that swarmlab-server, which the lab's images carry, links
// none of the CLI.
package archtest
