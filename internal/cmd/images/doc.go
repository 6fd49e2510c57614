// Package images implements 'swarmlab images': what the lab registry holds,
// with each image's compressed size and the total with shared layers once.
package images
