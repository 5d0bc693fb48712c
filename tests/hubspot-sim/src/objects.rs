//! The simulated object types and their property catalogues.

/// A simulated CRM object type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum ObjectType {
    Contacts,
    Calls,
}

const CONTACT_PROPERTIES: &[&str] = &[
    "email",
    "firstname",
    "lastname",
    "phone",
    "mobilephone",
    "company",
    "jobtitle",
    "lifecyclestage",
    "city",
    "country",
    "website",
    "hubspot_owner_id",
];

// hs_call_duration .. hubspot_owner_id are [UNVERIFIED] (from memory, §1.1).
const CALL_PROPERTIES: &[&str] = &[
    "hs_timestamp",
    "hs_call_body",
    "hs_call_title",
    "hs_call_duration",
    "hs_call_from_number",
    "hs_call_to_number",
    "hs_call_status",
    "hs_call_direction",
    "hs_call_disposition",
    "hs_call_recording_url",
    "hs_call_callee_object_id",
    "hs_call_callee_object_type",
    "hubspot_owner_id",
];

/// Properties searched by the free-text `query` of a search request.
const CONTACT_QUERY_PROPERTIES: &[&str] = &["email", "firstname", "lastname", "phone", "company"];
const CALL_QUERY_PROPERTIES: &[&str] = &["hs_call_title", "hs_call_body"];

impl ObjectType {
    /// Resolves a path segment: the plural name or the `0-N` type id.
    pub(crate) fn from_segment(segment: &str) -> Option<Self> {
        match segment {
            "contacts" | "contact" | "0-1" => Some(Self::Contacts),
            "calls" | "call" | "0-48" => Some(Self::Calls),
            _ => None,
        }
    }

    /// Plural name used in paths and snapshots.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Calls => "calls",
        }
    }

    /// Lower-case singular used in some HubSpot messages.
    pub(crate) fn singular(self) -> &'static str {
        match self {
            Self::Contacts => "contact",
            Self::Calls => "call",
        }
    }

    /// Upper-case singular used in some HubSpot messages.
    pub(crate) fn upper_singular(self) -> &'static str {
        match self {
            Self::Contacts => "CONTACT",
            Self::Calls => "CALL",
        }
    }

    /// Client-writable properties.
    pub(crate) fn writable(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => CONTACT_PROPERTIES,
            Self::Calls => CALL_PROPERTIES,
        }
    }

    /// Name of the creation-date system property.
    pub(crate) fn createdate(self) -> &'static str {
        match self {
            Self::Contacts => "createdate",
            Self::Calls => "hs_createdate",
        }
    }

    /// Name of the last-modified system property.
    pub(crate) fn lastmodified(self) -> &'static str {
        match self {
            Self::Contacts => "lastmodifieddate",
            Self::Calls => "hs_lastmodifieddate",
        }
    }

    /// Read-only system properties, always returned.
    pub(crate) fn system(self) -> [&'static str; 3] {
        [self.createdate(), "hs_object_id", self.lastmodified()]
    }

    /// Properties returned when a request names none.
    pub(crate) fn default_returned(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => &["email", "firstname", "lastname"],
            Self::Calls => &[],
        }
    }

    /// Properties matched by a search's free-text `query`.
    pub(crate) fn query_properties(self) -> &'static [&'static str] {
        match self {
            Self::Contacts => CONTACT_QUERY_PROPERTIES,
            Self::Calls => CALL_QUERY_PROPERTIES,
        }
    }

    /// Scope a scopeless token is told it lacks. [UNVERIFIED]: the capture
    /// shows the legacy `contacts` scope; private apps use the granular names,
    /// and calls are covered by the contacts scopes.
    pub(crate) fn required_scope(self, write: bool) -> &'static str {
        if write {
            "crm.objects.contacts.write"
        } else {
            "crm.objects.contacts.read"
        }
    }

    /// Scope a scopeless token is told it lacks on the properties API.
    /// [UNVERIFIED]: the granular schema scope names are from memory.
    pub(crate) fn schema_scope(self, write: bool) -> &'static str {
        if write {
            "crm.schemas.contacts.write"
        } else {
            "crm.schemas.contacts.read"
        }
    }

    /// `groupName` of the built-in properties and of unique properties
    /// seeded from the configuration. [UNVERIFIED] group names.
    pub(crate) fn default_group(self) -> &'static str {
        match self {
            Self::Contacts => "contactinformation",
            Self::Calls => "callinformation",
        }
    }

    /// The default (`HUBSPOT_DEFINED`) association from `self` to `to`, as
    /// `(type id, inverse type id)`. Call to contact 194 is [3RD]; contact to
    /// call 193 is its [UNVERIFIED] inverse.
    pub(crate) fn default_association(self, to: Self) -> Option<(u32, u32)> {
        match (self, to) {
            (Self::Calls, Self::Contacts) => Some((194, 193)),
            (Self::Contacts, Self::Calls) => Some((193, 194)),
            _ => None,
        }
    }

    /// Target type of an association type id defined by HubSpot from `self`.
    /// 194 (call to contact) is [3RD]; 193 (contact to call) is its inverse
    /// and [UNVERIFIED].
    pub(crate) fn association_target(self, category: &str, type_id: u32) -> Option<(Self, u32)> {
        match (self, category, type_id) {
            (Self::Calls, "HUBSPOT_DEFINED", 194) => Some((Self::Contacts, 193)),
            (Self::Contacts, "HUBSPOT_DEFINED", 193) => Some((Self::Calls, 194)),
            _ => None,
        }
    }
}
