package main

import "github.com/swarmlab/swarmlab/internal/app"

func main() { app.Main() }
