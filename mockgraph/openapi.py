"""Turn parsed Graph docs pages into one OpenAPI 3.1 document; load, validate and dump it.

The deriver is pure and deterministic: the same pages and supplement give byte-identical
YAML. Types come from the supplement's resource schemas where the page links to a resource
it describes, and otherwise from the documented example values. A documented placeholder
(``datetime-value``) that its property's type would reject is replaced in the served example
by a typed sample; the page's text stays in ``x-mockgraph-placeholders``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from pathlib import Path

from mockgraph import odata_terms as odata
from mockgraph import values
from mockgraph.contract_cache import cache_key, read_validated, remember_validated
from mockgraph.docs import Example, Page, example_path, read_page
from mockgraph.exceptions import ContractError

OPENAPI_VERSION = "3.1.0"
SECURITY_SCHEME = "bearerAuth"
SOURCE_DIR = Path(__file__).resolve().parent.parent / "openapi" / "source"

_PLACEHOLDER_PARAM = re.compile(r"\{([^}]*)\}")
_QUERY_SCHEMAS = {
    "top": {"type": "integer", "minimum": 0},
    "skip": {"type": "integer", "minimum": 0},
    "count": {"type": "boolean"},
    "filter": {"type": "string"},
    "orderby": {"type": "string"},
    "select": {"type": "string"},
    "search": {"type": "string"},
    "expand": {"type": "string"},
    "skiptoken": {"type": "string"},
}
_QUERY_DESCRIPTIONS = {
    "top": "OData $top: the most items to return.",
    "skip": "OData $skip: how many items to pass over.",
    "count": "OData $count: include @odata.count, the number of matching items.",
    "filter": "OData $filter expression.",
    "orderby": "OData $orderby: comma-separated properties, each optionally asc or desc.",
    "select": "OData $select: comma-separated properties to return.",
    "search": "OData $search expression.",
    "expand": "OData $expand: related entities to include.",
    "skiptoken": "OData $skiptoken: the paging token of an @odata.nextLink.",
}
_SKIPPED_HEADERS = {"authorization", "content-type", "content-length", "accept"}
_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content"}


def derive_openapi(pages: Iterable[Page], supplement: dict) -> dict:
    """Build the OpenAPI document for ``pages``; the supplement adds resource facts."""
    supplement = copy.deepcopy(supplement)
    components = supplement.get("components", {})
    schemas: dict = dict(components.get("schemas", {}))
    document: dict = {
        "openapi": OPENAPI_VERSION,
        "info": supplement.get("info", {"title": "Derived by mockgraph", "version": "1.0"}),
        "servers": supplement.get("servers", []),
        "paths": {},
        "components": {},
    }
    error_plan = supplement.get("x-mockgraph-error-responses", {})
    error_responses = {
        status: _error_response(status, spec) for status, spec in components.get("responses", {}).items()
    }
    uses_security = False
    operation_ids: set[str] = set()
    sources = []
    for page in pages:
        sources.append(page.source)
        for method, template in page.requests:
            path, parameters = _path_parameters(template)
            operation = _derive_operation(page, method, path, schemas, operation_ids)
            operation["parameters"] = parameters + operation.get("parameters", [])
            if not operation["parameters"]:
                del operation["parameters"]
            if any(row.name.lower() == "authorization" for row in page.headers):
                operation["security"] = [{SECURITY_SCHEME: []}]
                uses_security = True
            _add_error_responses(operation, error_plan, error_responses, bool(parameters))
            document["paths"].setdefault(path, {})[method.lower()] = operation
    document["paths"] = {path: _ordered_methods(item) for path, item in sorted(document["paths"].items())}
    document["info"] = dict(document["info"], **{"x-mockgraph-sources": sources})
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    headers = components.get("headers")
    if headers:
        document["components"]["headers"] = headers
    used = {status for path in document["paths"].values() for op in path.values() for status in op["responses"]}
    document["components"]["responses"] = {
        f"error{status}": response for status, response in error_responses.items() if status in used
    }
    if uses_security:
        document["components"]["securitySchemes"] = {
            SECURITY_SCHEME: {
                "type": "http",
                "scheme": "bearer",
                "description": "Any non-empty bearer token is accepted; a missing or malformed one is a 401.",
            }
        }
    for path_item in document["paths"].values():
        for operation in path_item.values():
            for response in operation["responses"].values():
                if "$ref" not in response:
                    _attach_headers(response, headers or {})
    _link_created_items(document["paths"], schemas)
    return document


def _link_created_items(paths: dict, schemas: dict) -> None:
    """A 201 from POST on a collection whose items live at ``collection/{key}``: say where the item is.

    Graph answers a create with the entity, whose ``id`` is the item's key; the contract says so
    with an optional ``Location`` header and one OpenAPI link per item operation, so clients and
    Schemathesis's stateful phase can chain create -> get/update/delete by ``$response.body#/id``.
    """
    for path, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get("201")
        if not created or "$ref" in created:
            continue
        schema_ref = created.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
        entity = schemas.get(schema_ref.rsplit("/", 1)[-1], {})
        if "id" not in entity.get("properties", {}):
            continue
        for item_path, item_operations in paths.items():
            match = (
                _PLACEHOLDER_PARAM.fullmatch(item_path[len(path) + 1 :]) if item_path.startswith(path + "/") else None
            )
            if not match:
                continue
            created.setdefault("headers", {})["Location"] = {
                "description": "The absolute URL of the created item.",
                "required": False,
                "schema": {"type": "string", "format": "uri"},
            }
            links = created.setdefault("links", {})
            sent_headers = {p["name"] for p in item["post"].get("parameters", []) if p.get("in") == "header"}
            for operation in item_operations.values():
                parameters = {match.group(1): "$response.body#/id"}
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "header" and parameter["name"] in sent_headers:
                        name = parameter["name"]
                        parameters[f"header.{name}"] = f"$request.header.{name}"
                links[operation["operationId"]] = {
                    "operationId": operation["operationId"],
                    "parameters": parameters,
                    "description": (
                        f"{operation['summary']}: the item just created, by its id, with the headers "
                        "that scoped its creation (a Workbook-Session-Id keeps it in its sandbox)."
                    ),
                }


def derive_files(paths: Iterable[str | Path], supplement_path: str | Path | None) -> dict:
    """Read pages and a supplement file, and derive their document."""
    supplement = load_yaml(supplement_path) if supplement_path else {}
    return derive_openapi([read_page(path) for path in paths], supplement)


def _derive_operation(page: Page, method: str, path: str, schemas: dict, operation_ids: set[str]) -> dict:
    examples = [example for example in page.examples if example.request is None or example.request.method == method]
    operation_id = _unique(_operation_id(page, method, path), operation_ids)
    operation: dict = {
        "operationId": operation_id,
        "summary": page.title,
    }
    if page.description:
        operation["description"] = page.description
    operation["tags"] = [path.strip("/").split("/")[0] or "root"]
    operation["x-mockgraph-source"] = page.source
    query_examples = _query_examples(examples)
    resource_schema = _resource_schema(page, examples, schemas)
    properties = values.resolve(schemas[resource_schema], schemas).get("properties", {}) if resource_schema else {}
    parameters = [
        _query_parameter(option, query_examples.get(option), properties, schemas) for option in page.query_options
    ]
    for row in page.headers:
        if row.name.lower() in _SKIPPED_HEADERS:
            continue
        parameters.append(
            {
                "name": row.name,
                "in": "header",
                "required": row.required,
                "description": row.description,
                "schema": {"type": "string"},
            }
        )
    if parameters:
        operation["parameters"] = parameters

    bodies = [(ex.name, ex.request.body) for ex in examples if ex.request and isinstance(ex.request.body, dict)]
    if method in ("POST", "PUT", "PATCH") and bodies:
        schema_ref = resource_schema or _inferred_schema(page, "Request", bodies[0][1], schemas)
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{schema_ref}"},
                    "examples": _examples(bodies, schemas[schema_ref], schemas),
                }
            },
        }
    operation["responses"] = _responses(page, examples, resource_schema, schemas)
    return operation


def _responses(page: Page, examples: list[Example], resource_schema: str | None, schemas: dict) -> dict:
    by_status: dict[int, list[Example]] = {}
    for example in examples:
        if example.response is not None:
            by_status.setdefault(example.response.status or page.status or 200, []).append(example)
    if not by_status:
        by_status[page.status or 200] = []
    responses: dict = {}
    for status, group in sorted(by_status.items()):
        response: dict = {"description": _REASONS.get(status, "Success")}
        bodies = [(ex.name, ex.response.body) for ex in group if ex.response and ex.response.body is not None]
        if status != 204 and bodies:
            annotation = group[0].response_annotation
            if isinstance(bodies[0][1], (dict, list)):
                schema_ref = resource_schema or _inferred_schema(page, "Response", _first_entity(bodies[0][1]), schemas)
                if annotation.get("isCollection") or _looks_like_collection(bodies[0][1]):
                    schema_ref = _collection_schema(schema_ref, schemas)
                response["content"] = {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{schema_ref}"},
                        "examples": _examples(bodies, schemas[schema_ref], schemas),
                    }
                }
            else:
                response["content"] = {
                    "text/plain": {
                        "schema": {"type": "integer", "minimum": 0},
                        "examples": {_example_key(name, i): {"value": body} for i, (name, body) in enumerate(bodies)},
                    }
                }
        responses[str(status)] = response
    return responses


def _resource_schema(page: Page, examples: list[Example], schemas: dict) -> str | None:
    """The supplement schema the page's resource link or @odata.type names, if any."""
    candidates = []
    for example in examples:
        odata_type = example.response_annotation.get("@odata.type")
        if odata_type:
            candidates.append(odata_type)
    if page.resource:
        candidates.append(f"microsoft.graph.{page.resource}")
    for name in candidates:
        for known in schemas:
            if known.lower() == name.lower():
                return known
    return None


def _inferred_schema(page: Page, role: str, body: object, schemas: dict) -> str:
    """Infer a named schema from an example body when the supplement has none."""
    odata_type = next(
        (
            ex.response_annotation.get("@odata.type")
            for ex in page.examples
            if ex.response_annotation.get("@odata.type")
        ),
        None,
    )
    name = odata_type or f"microsoft.graph.{page.resource}" if (odata_type or page.resource) else None
    if not name:
        name = "mockgraph." + re.sub(r"\W+", "", page.title.title().replace(" ", "")) + role
    schema = values.infer_schema(body if isinstance(body, dict) else {})
    if name in schemas:
        merged = schemas[name]
        for key, prop in schema.get("properties", {}).items():
            merged.setdefault("properties", {}).setdefault(key, prop)
    else:
        schemas[name] = schema
    return name


def _collection_schema(item_ref: str, schemas: dict) -> str:
    name = f"{item_ref}CollectionResponse"
    schemas.setdefault(
        name,
        {
            "type": "object",
            "description": f"A page of {item_ref.rsplit('.', 1)[-1]} items.",
            "required": ["value"],
            "properties": {
                "@odata.context": {"type": "string"},
                "@odata.count": {"type": "integer", "minimum": 0},
                "@odata.nextLink": {"type": "string", "format": "uri"},
                "value": {"type": "array", "items": {"$ref": f"#/components/schemas/{item_ref}"}},
            },
        },
    )
    return name


def _looks_like_collection(body: object) -> bool:
    return isinstance(body, dict) and isinstance(body.get("value"), list)


def _first_entity(body: object) -> object:
    if _looks_like_collection(body):
        items = body["value"]
        return items[0] if items else {}
    return body


def _examples(bodies: list[tuple[str | None, object]], schema: dict, schemas: dict) -> dict:
    out = {}
    for index, (name, body) in enumerate(bodies):
        value, placeholders = values.replace_placeholders(body, schema, schemas)
        entry: dict = {"value": value}
        if placeholders:
            entry["x-mockgraph-placeholders"] = placeholders
        out[_example_key(name, index)] = entry
    return out


def _example_key(name: str | None, index: int) -> str:
    return name or f"example{index + 1}"


def _query_examples(examples: list[Example]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for example in examples:
        if not example.request or not example.request.url:
            continue
        _path, pairs = example_path(example.request.url)
        for key, value in pairs:
            option = key.lstrip("$").lower()
            schema = _QUERY_SCHEMAS.get(option, {"type": "string"})
            typed = values.coerce_query_value(value, schema)
            found.setdefault(option, {})[_example_key(example.name, len(found.get(option, {})))] = {"value": typed}
    return found


def _query_parameter(option: str, examples: dict | None, properties: dict, schemas: dict) -> dict:
    parameter = {
        "name": f"${option}",
        "in": "query",
        "required": False,
        "description": _QUERY_DESCRIPTIONS.get(option, f"OData ${option}."),
        "schema": dict(_QUERY_SCHEMAS.get(option, {"type": "string"})),
    }
    _narrow_query_schema(option, parameter["schema"], properties, schemas)
    if examples:
        parameter["examples"] = examples
    return parameter


def _narrow_query_schema(option: str, schema: dict, properties: dict, schemas: dict) -> None:
    """Say in the contract which texts an option takes, where the page's resource fixes that.

    ``$select`` and ``$orderby`` name the resource's properties (a regular language: a pattern);
    ``$filter`` is an OData expression (not regular: the ``odata-filter`` format, an annotation
    that validators ignore and that the contract harness registers a generator for); mockgraph's
    ``$skiptoken`` is the offset it wrote into ``@odata.nextLink``.
    """
    names = [name for name in properties if not name.startswith("@")]
    if option == "select" and names:
        schema["pattern"] = odata.select_pattern(names)
    elif option == "orderby" and names:
        sortable = [
            name
            for name in names
            if [kind for kind in values.types_of(values.resolve(properties[name], schemas)) if kind != "null"]
            == ["string"]
        ]
        schema["pattern"] = odata.orderby_pattern(sortable)
    elif option == "filter":
        schema["format"] = odata.FILTER_FORMAT
    elif option == "skiptoken":
        schema["pattern"] = odata.SKIPTOKEN_PATTERN


def _path_parameters(template: str) -> tuple[str, list[dict]]:
    """Name each ``{id}``-style placeholder after its collection, as Graph's own OpenAPI does."""
    segments = template.strip("/").split("/")
    parameters = []
    out = []
    for index, segment in enumerate(segments):
        match = _PLACEHOLDER_PARAM.fullmatch(segment)
        if not match:
            out.append(segment)
            continue
        alternatives = [part.strip() for part in match.group(1).split("|")]
        owner = _singular(segments[index - 1]) if index else "item"
        name = f"{owner}-{alternatives[0]}"
        description = f"The {owner}'s " + " or ".join(alternatives) + "."
        parameters.append(
            {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}
        )
        out.append("{" + name + "}")
    return "/" + "/".join(out), parameters


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _operation_id(page: Page, method: str, path: str) -> str:
    for example in page.examples:
        if example.name and example.request and example.request.method == method:
            request_path, _ = example_path(example.request.url or "")
            if _same_shape(request_path, path) or len(page.requests) == 1:
                return example.name
    words = [segment for segment in path.strip("/").split("/") if not segment.startswith("{")]
    return "_".join([method.lower(), *(re.sub(r"\W", "", word) for word in words)])


def _same_shape(concrete: str, template: str) -> bool:
    left, right = concrete.strip("/").split("/"), template.strip("/").split("/")
    return len(left) == len(right) and all(b.startswith("{") or a == b for a, b in zip(left, right, strict=True))


def _unique(name: str, taken: set[str]) -> str:
    candidate, counter = name, 2
    while candidate in taken:
        candidate, counter = f"{name}_{counter}", counter + 1
    taken.add(candidate)
    return candidate


def _error_response(status: str, spec: dict) -> dict:
    example = {"error": {"code": spec["code"], "message": spec["message"], "innerError": values.SAMPLE_INNER_ERROR}}
    response: dict = {
        "description": spec["description"],
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/microsoft.graph.ODataErrors.ODataError"},
                "examples": {spec["code"]: {"value": example}},
            }
        },
    }
    if spec.get("retry-after"):
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before retrying.",
                "schema": {"type": "integer", "minimum": 0},
            }
        }
    return response


def _add_error_responses(operation: dict, plan: dict, responses: dict, has_path_parameter: bool) -> None:
    statuses = list(plan.get("all", []))
    if "requestBody" in operation:
        statuses += plan.get("with-body", [])
    if has_path_parameter:
        statuses += plan.get("with-path-parameter", [])
    for status in sorted(set(statuses)):
        if status in responses and status not in operation["responses"]:
            operation["responses"][status] = {"$ref": f"#/components/responses/error{status}"}
    operation["responses"] = dict(sorted(operation["responses"].items()))


def _attach_headers(response: dict, headers: dict) -> None:
    if headers:
        response["headers"] = {name: {"$ref": f"#/components/headers/{name}"} for name in headers} | response.get(
            "headers", {}
        )


def _ordered_methods(item: dict) -> dict:
    order = ["get", "put", "post", "patch", "delete"]
    return {method: item[method] for method in sorted(item, key=lambda m: order.index(m) if m in order else 99)}


# --- loading, validating, dumping ---------------------------------------------------------


def load_yaml(path: str | Path) -> dict:
    with open(path, "rb") as handle:
        return parse_yaml(handle.read(), path)


def parse_yaml(raw: bytes, source: str | Path = "<contract>") -> dict:
    """A YAML mapping, parsed with libyaml's safe loader when PyYAML has it (several times faster)."""
    import yaml  # only on a cold start or when deriving: a cached contract needs no YAML

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(raw, Loader=loader)  # a safe loader, chosen above
    if not isinstance(data, dict):
        raise ContractError(f"{source}: not a YAML mapping")
    return data


def dump_document(document: dict) -> str:
    """Deterministic YAML: key order as built, no aliases, wide lines."""
    import yaml

    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data):
            return True

    return yaml.dump(document, Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=100)


def validate_document(document: dict) -> None:
    """Raise ContractError when the document is not valid OpenAPI or an example breaks its schema."""
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        validate(document)
    except OpenAPIValidationError as error:
        raise ContractError(f"invalid OpenAPI document: {error.message}") from error
    problems = values.check_examples(document)
    if problems:
        raise ContractError("examples that break their own schema: " + "; ".join(problems))


def load_contract(path: str | Path, validate: bool = True, cache_dir: str | Path | None = None) -> dict:
    """Load the contract once, at start; validate it so a broken file fails loudly there.

    With ``cache_dir``, a contract whose exact bytes already passed validation (by the same code)
    is read back from the cache instead of parsed and validated again: see contract_cache.
    """
    with open(path, "rb") as handle:
        raw = handle.read()
    if not validate:
        return parse_yaml(raw, path)
    key = cache_key(raw) if cache_dir else None
    if key is not None:
        cached = read_validated(Path(cache_dir), key)
        if cached is not None:
            return cached
    document = parse_yaml(raw, path)
    validate_document(document)
    if key is not None:
        remember_validated(Path(cache_dir), key, document)
    return document
