"""Pages in, articles out: read a page file, find its layout, segment it into articles, stitch continuations."""
