// The TCP plugin; see README.md in this folder.
