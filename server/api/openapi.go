package api

import (
	_ "embed"
	"net/http"
)

// openapiDoc is the OpenAPI 3.1 description of every route; TestOpenAPI
// holds it and the route table to each other.
//
//go:embed openapi.json
var openapiDoc []byte

func (a *API) openapi(w http.ResponseWriter, r *http.Request, c *call) {
	writeRaw(w, http.StatusOK, openapiDoc)
}
