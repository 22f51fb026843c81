package audit

import "strings"

// OCSF API Activity (class_uid 6003, category 6 Application Activity), the
// shape SIEMs ingest as is. docs/audit.md has the field mapping; ToOCSF is
// its one implementation. The chain fields go to unmapped (a SIEM keeps
// them; verification works on the native form).
const (
	OCSFClassUID    = 6003
	OCSFCategoryUID = 6
	OCSFVersion     = "1.3.0"
)

// OCSF activity ids of API Activity.
const (
	OCSFCreate = 1
	OCSFRead   = 2
	OCSFUpdate = 3
	OCSFDelete = 4
	OCSFOther  = 99
)

var ocsfActivity = map[string]int{
	ActionUploadReceived:  OCSFCreate,
	ActionUploadProcessed: OCSFRead,
	ActionLLMSent:         OCSFOther,
	ActionCaseViewed:      OCSFRead,
	ActionCaseListed:      OCSFRead,
	ActionCaseTaken:       OCSFUpdate,
	ActionCaseResolved:    OCSFUpdate,
	ActionCaseCommented:   OCSFUpdate,
	ActionCaseExported:    OCSFRead,
	ActionAlertViewed:     OCSFRead,
	ActionAlertAcked:      OCSFUpdate,
	ActionSearch:          OCSFRead,
	ActionPurge:           OCSFDelete,
	ActionTenantDeleted:   OCSFDelete,
	ActionAccountChanged:  OCSFUpdate,
	ActionRoleChanged:     OCSFUpdate,
	ActionLoginFailed:     OCSFOther,
	ActionAuditQueried:    OCSFRead,
	ActionAuditExported:   OCSFRead,
}

var ocsfActivityName = map[int]string{OCSFCreate: "Create", OCSFRead: "Read", OCSFUpdate: "Update", OCSFDelete: "Delete", OCSFOther: "Other"}

// OCSFActivity is the activity_id of an action (Other for an unknown one).
func OCSFActivity(action string) int {
	if id, ok := ocsfActivity[action]; ok {
		return id
	}
	return OCSFOther
}

// ToOCSF renders e as an OCSF API Activity event.
func ToOCSF(e Event) map[string]any {
	act := OCSFActivity(e.Action)
	statusID, status := 1, "Success"
	if e.Outcome != Success {
		statusID, status = 2, "Failure"
	}
	user := map[string]any{"name": e.Actor.Name, "type": "User", "type_id": 1}
	if e.Actor.Kind == ActorService {
		user["type"], user["type_id"] = "System", 3
	}
	actor := map[string]any{"user": user}
	if e.Actor.Role != "" {
		user["groups"] = []map[string]any{{"name": e.Actor.Role}}
	}
	resType, resID, _ := strings.Cut(e.Resource, "/")
	out := map[string]any{
		"class_uid":     OCSFClassUID,
		"class_name":    "API Activity",
		"category_uid":  OCSFCategoryUID,
		"category_name": "Application Activity",
		"activity_id":   act,
		"activity_name": ocsfActivityName[act],
		"type_uid":      OCSFClassUID*100 + act,
		"severity_id":   1,
		"severity":      "Informational",
		"time":          e.Time.UnixMilli(),
		"status_id":     statusID,
		"status":        status,
		"actor":         actor,
		"api": map[string]any{
			"operation": e.Action,
			"request":   map[string]any{"uid": e.RequestID},
		},
		"resources": []map[string]any{{"type": resType, "uid": resID}},
		"metadata": map[string]any{
			"uid":        e.ID,
			"version":    OCSFVersion,
			"tenant_uid": e.Tenant,
			"sequence":   e.Seq,
			"product":    map[string]any{"name": "logtriage", "vendor_name": "logtriage"},
		},
		"unmapped": map[string]any{"prev_hash": e.PrevHash, "hash": e.Hash, "outcome": string(e.Outcome), "detail": e.Detail},
	}
	if e.SourceAddr != "" {
		out["src_endpoint"] = map[string]any{"ip": e.SourceAddr}
	}
	if e.Reason != "" {
		// The justification of an access, or why it failed.
		if e.Outcome == Success {
			out["message"] = e.Reason
		} else {
			out["status_detail"] = e.Reason
		}
	}
	return out
}
