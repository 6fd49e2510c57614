// Command swarmlab builds a Docker Swarm study lab in one command.
package main

import "github.com/swarmlab/swarmlab/internal/app"

func main() { app.Main() }
