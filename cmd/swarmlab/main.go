package main

import (
	"github.com/swarmlab/swarmlab/internal/app"
	"github.com/swarmlab/swarmlab/internal/cmd"
)

func main() { app.Main(cmd.NewRoot) }
