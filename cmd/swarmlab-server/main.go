package main

import (
	"github.com/swarmlab/swarmlab/internal/app"
	"github.com/swarmlab/swarmlab/internal/cmd/servers"
)

func main() { app.Main(servers.NewRoot) }
