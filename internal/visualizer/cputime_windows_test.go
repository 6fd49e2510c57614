package visualizer

import "time"

// cpuTime is not measured on Windows; TestResourceUsage reports 0% there.
func cpuTime() time.Duration { return 0 }
