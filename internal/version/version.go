package version

// Version is "dev" unless the build stamps it.
var Version = "dev"
