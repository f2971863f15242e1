# Dev-time generator of unicode-normalization.txt.gz (Unicode decomposition, combining-class and composition
# tables for NFC/NFD/NFKC/NFKD), from Python's unicodedata. Run: python3 make_unicode_tables.py
# .NET's string.Normalize is a no-op under InvariantGlobalization, so PrefLab carries these tables.
import gzip, sys, unicodedata

lines = [f"# unicodedata {unicodedata.unidata_version}"]
for cp in range(0x110000):
    if 0xD800 <= cp <= 0xDFFF or 0xAC00 <= cp <= 0xD7A3:  # surrogates; Hangul syllables are algorithmic
        continue
    c = chr(cp)
    ccc = unicodedata.combining(c)
    if ccc:
        lines.append(f"C {cp:X} {ccc}")
    d = unicodedata.decomposition(c)
    if not d:
        continue
    parts = d.split()
    if parts[0].startswith("<"):
        lines.append("K %X %s" % (cp, " ".join(parts[1:])))
    else:
        lines.append("D %X %s" % (cp, " ".join(parts)))
        # a primary composite: its two-code-point canonical decomposition composes back to it
        if len(parts) == 2 and unicodedata.normalize("NFC", chr(int(parts[0], 16)) + chr(int(parts[1], 16))) == c:
            lines.append("P %X %s %s" % (cp, parts[0], parts[1]))
data = ("\n".join(lines) + "\n").encode()
with gzip.GzipFile("unicode-normalization.txt.gz", "wb", mtime=0) as f:
    f.write(data)
print(len(lines), "lines", len(data), "bytes", unicodedata.unidata_version, file=sys.stderr)
