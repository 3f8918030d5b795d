# SPDX-License-Identifier: MIT
# The workload of traces/python_json.trace.gz: a dict to JSON and back, sorted words.
import json
d = {('key%d' % i): [i, str(i) * (i % 7), {'n': i}] for i in range(4000)}
s = json.dumps(d)
e = json.loads(s)
words = sorted(set(s.split(',')))
print(len(s), len(e), len(words))
