// The Noise plugin; see README.md in this folder.
