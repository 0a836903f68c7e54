--- lcanvas.EnrollmentTerm: a term of a root account. This file is the whole
-- type: its methods, the entry points that make terms (Account:
-- get_enrollment_terms, get_enrollment_term, create_enrollment_term), how it
-- prints and the examples the endpoint spec runs. Canvas's term JSON has
-- no account_id, so every term lcanvas hands out carries the account it
-- came from (canvasapi's lose it and then fail). From
-- app/controllers/terms_api_controller.rb (reads), terms_controller.rb
-- (writes) and lib/api/v1/enrollment_term.rb.
local core = require "lcanvas.core"
local ids = require "lcanvas.ids"

core.define_type("EnrollmentTerm", { format = "{name} ({id})", doc = "a term of a root account" })

core.define_rows("Account", {
  { name = "get_enrollment_terms", method = "GET", path = "accounts/{id}/terms", returns = "EnrollmentTerm",
    list = true, root = "enrollment_terms", item_fields = { account_id = "{id}" },
    params = { "workflow_state", "include" }, include = { "overrides" },
    arrays = { "workflow_state", "include" }, source = "TermsApiController#index",
    doc = "The root account's terms, newest first: params workflow_state = {\"active\"} (default), " ..
      "{\"deleted\"} or {\"all\"}, include = {\"overrides\"}. Canvas answers 400 for a sub-account." },
  { name = "get_enrollment_term", method = "GET", path = "accounts/{id}/terms/{1}", returns = "EnrollmentTerm",
    item_fields = { account_id = "{id}" },
    args = { { "term", ids = ids.enrollment_terms,
               what = "term (an id, \"sis_term_id:X\", \"current\", \"default\" or an EnrollmentTerm)" } },
    params = {}, source = "TermsApiController#show",
    doc = "One term (an id, \"sis_term_id:X\", \"current\", \"default\" or an EnrollmentTerm), " ..
      "with its overrides; deleted terms too." },
  { name = "create_enrollment_term", method = "POST", path = "accounts/{id}/terms", returns = "EnrollmentTerm",
    item_fields = { account_id = "{id}" }, required = { "enrollment_term" },
    params = { "enrollment_term" }, source = "TermsController#create",
    doc = "Create a term: params enrollment_term = {name =, start_at =, end_at =, sis_term_id = " ..
      "(needs manage SIS; ignored otherwise), overrides = {StudentEnrollment = {start_at =, end_at =}}}." },
})

local Term = core.define_rows("EnrollmentTerm", {
  { name = "edit", method = "PUT", path = "accounts/{account_id}/terms/{id}", returns = "self",
    params = { "enrollment_term", "override_sis_stickiness" }, source = "TermsController#update",
    doc = "Change the term: params enrollment_term = {name =, start_at =, end_at =, overrides = ...}; " ..
      "updated in place and returned (404 for a deleted term)." },
  { name = "delete", method = "DELETE", path = "accounts/{account_id}/terms/{id}", returns = "self",
    params = {}, source = "TermsController#destroy",
    doc = "Delete the term; returns it, now deleted." },
})

-- What the endpoint spec runs against the sandbox's demo data: Fall 2026
-- (SIS id "2026-FA") of the root account.
core.define_type("EnrollmentTerm", {
  examples = {
    receiver = function(w) return w.canvas:get_account(1):get_enrollment_term("sis_term_id:2026-FA") end,
    args = {
      edit = { { enrollment_term = { name = "Fall 2026" } } },
      delete = function(w)
        return w.canvas:get_account(1):create_enrollment_term({ enrollment_term = { name = "Spec term" } }), {}
      end,
    },
  },
})
core.define_type("Account", { examples = { args = {
  get_enrollment_term = { "current" },
  create_enrollment_term = { { enrollment_term = { name = "Spec term", start_at = "2027-08-20T00:00:00Z" } } },
} } })

return Term
