package lab

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// hardCodedCommand is a swarmlab command written out in a string: quoted in
// a message ('swarmlab up') or a hint of its own ("swarmlab up --bare").
// Such a hint forgets --name for any lab but the default one; Config.Cmd
// and Config.Swarmlab write them instead.
var hardCodedCommand = regexp.MustCompile(`'swarmlab |^swarmlab (up|down|status|start|stop|node|docker|shell|chaos|verify|doctor|build|images|deploy|tutorial)\b`)

// labCodeDirs are the folders of the lab's code, whose messages are about
// one lab.
var labCodeDirs = []string{".", "../up", "../chaos", "../checks"}

func TestNoHardCodedCommandHints(t *testing.T) {
	// The pattern must catch what it is for, or the test below proves nothing.
	for _, s := range []string{"create it with 'swarmlab up'", "swarmlab chaos --drain worker01"} {
		if !hardCodedCommand.MatchString(s) {
			t.Fatalf("the pattern misses %q", s)
		}
	}
	for _, dir := range labCodeDirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, file, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if ok && lit.Kind == token.STRING && hardCodedCommand.MatchString(strings.Trim(lit.Value, "`\"")) {
					t.Errorf("%s: %s names a command without the lab: use Config.Cmd or Config.Swarmlab", fset.Position(lit.Pos()), lit.Value)
				}
				return true
			})
		}
	}
}

func TestCmdNamesTheLab(t *testing.T) {
	if got := Defaults().Cmd("status"); got != "'swarmlab status'" {
		t.Errorf("default lab: %s", got)
	}
	if got := (Config{Name: "lab2"}).Cmd("up --bare"); got != "'swarmlab --name lab2 up --bare'" {
		t.Errorf("lab2: %s", got)
	}
}
