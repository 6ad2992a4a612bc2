// The Yamux plugin; see README.md in this folder.
