package pim

import (
	"context"
	"encoding/json"
	"net/http"
)

// TenantDisplayName is the signed-in tenant's display name ("Contoso"), from Microsoft Graph's
// GET /organization (delegated User.Read is enough: "Get organization", Graph v1.0). The tray
// and the command line name a tenant configured without a name by it.
func (c *Client) TenantDisplayName(ctx context.Context) (string, error) {
	cl := call{op: opMe, plane: PlaneEntra, subject: "Microsoft Graph"}
	data, err := c.send(ctx, graphAPI, http.MethodGet, c.graphEndpoint("/organization", "$select", "id,displayName"), nil, cl)
	if err != nil {
		return "", err
	}
	var page struct {
		Value []struct {
			ID          string `json:"id"`
			DisplayName string `json:"displayName"`
		} `json:"value"`
	}
	if err := json.Unmarshal(data, &page); err != nil || len(page.Value) == 0 {
		return "", cl.err(&Error{Kind: KindBadResponse, Err: err})
	}
	return page.Value[0].DisplayName, nil
}
