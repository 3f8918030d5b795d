# SPDX-License-Identifier: MIT
# The Python workload of bench/RESULTS.md's debug-mode table: with PYTHONMALLOC=malloc every
# object goes through malloc, so the time measures a malloc debugger's cost per call. Builds a
# 60k-key dict of small lists and dicts, then dumps it to JSON and reads it back.
import json

table = {}
for i in range(60000):
    table["key%d" % i] = [i, str(i), {"v": i}]
text = json.dumps(table)
json.loads(text)
