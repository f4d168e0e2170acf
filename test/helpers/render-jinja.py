"""Renders Home Assistant MQTT templates with Jinja2, as Home Assistant does:
stdin is a JSON list of {"template", "value"} (value: the MQTT payload as text);
`value` and `value_json` (the payload parsed, when it is JSON) are in scope, and
now() as in Home Assistant. stdout: the JSON list of rendered strings, or of
{"error": ...} for a template Jinja2 refuses."""
import datetime
import json
import sys

import jinja2

env = jinja2.Environment(undefined=jinja2.StrictUndefined)
env.globals["now"] = lambda: datetime.datetime.now(datetime.timezone.utc)
out = []
for item in json.load(sys.stdin):
    scope = {"value": item["value"]}
    try:
        scope["value_json"] = json.loads(item["value"])
    except ValueError:
        pass
    try:
        out.append(env.from_string(item["template"]).render(**scope).strip())
    except jinja2.TemplateError as err:
        out.append({"error": str(err)})
print(json.dumps(out))
