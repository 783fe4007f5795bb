//! Property tests: parsing never panics and always round-trips.

use std::time::Duration;

use acs_identity_types::{
    CommunicationCloudEnvironment, CommunicationIdentifier, CommunicationIdentifierModel, CustomId,
    MicrosoftTeamsAppIdentifier, MicrosoftTeamsUserIdentifier, PhoneNumberIdentifier,
    TeamsExtensionUserIdentifier, TokenLifetime, TokenScope,
};
use proptest::prelude::*;
use serde_json::Value;

fn cloud() -> impl Strategy<Value = CommunicationCloudEnvironment> {
    prop_oneof![
        Just(CommunicationCloudEnvironment::Public),
        Just(CommunicationCloudEnvironment::Dod),
        Just(CommunicationCloudEnvironment::Gcch),
    ]
}

/// rawIds that start like the real ones, so the typed branches are reached, not only `Unknown`.
fn raw_id_like() -> impl Strategy<Value = String> {
    let prefix = prop_oneof![
        Just(""),
        Just("4:"),
        Just("8:acs:"),
        Just("8:dod-acs:"),
        Just("8:gcch-acs:"),
        Just("8:spool:"),
        Just("8:orgid:"),
        Just("8:dod:"),
        Just("8:gcch:"),
        Just("8:teamsvisitor:"),
        Just("28:orgid:"),
        Just("28:dod:"),
        Just("28:gcch:"),
        Just("28:"),
        Just("48:"),
    ];
    (prefix, "[a-f0-9_:+ -]{0,40}").prop_map(|(prefix, suffix)| format!("{prefix}{suffix}"))
}

/// Arbitrary JSON, with the model's property names used often as keys.
fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("rawId".to_owned()),
        Just("kind".to_owned()),
        Just("communicationUser".to_owned()),
        Just("phoneNumber".to_owned()),
        Just("microsoftTeamsUser".to_owned()),
        Just("microsoftTeamsApp".to_owned()),
        Just("teamsExtensionUser".to_owned()),
        Just("id".to_owned()),
        Just("value".to_owned()),
        Just("userId".to_owned()),
        Just("isAnonymous".to_owned()),
        Just("assertedId".to_owned()),
        Just("appId".to_owned()),
        Just("tenantId".to_owned()),
        Just("resourceId".to_owned()),
        Just("cloud".to_owned()),
        ".{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just("public".to_owned()),
            Just("phoneNumber".to_owned()),
            ".{0,12}"
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn assert_round_trips(raw_id: &str) {
    let id = CommunicationIdentifier::from_raw_id(raw_id);
    assert_eq!(id.raw_id(), raw_id);
    assert_eq!(id.to_string(), raw_id);
    assert_eq!(CommunicationIdentifier::from_raw_id(id.raw_id()), id);
    // Through JSON and back: same kind, rawId and fields.
    let json = serde_json::to_string(&id).unwrap();
    let back: CommunicationIdentifier = serde_json::from_str(&json).unwrap();
    assert_eq!(back, id);
    assert_eq!(
        CommunicationIdentifierModel::from(&back),
        CommunicationIdentifierModel::from(&id)
    );
}

proptest! {
    #[test]
    fn any_raw_id_round_trips(raw_id in any::<String>()) {
        assert_round_trips(&raw_id);
    }

    #[test]
    fn raw_id_like_strings_round_trip(raw_id in raw_id_like()) {
        assert_round_trips(&raw_id);
    }

    #[test]
    fn from_str_never_panics(raw_id in any::<String>()) {
        match raw_id.parse::<CommunicationIdentifier>() {
            Ok(id) => prop_assert_eq!(id, CommunicationIdentifier::from_raw_id(&raw_id)),
            Err(_) => prop_assert!(raw_id.trim().is_empty()),
        }
    }

    #[test]
    fn model_deserialize_never_panics_on_any_text(text in any::<String>()) {
        let _ = serde_json::from_str::<CommunicationIdentifierModel>(&text);
        let _ = serde_json::from_str::<CommunicationIdentifier>(&text);
    }

    #[test]
    fn model_deserialize_never_panics_on_any_json(value in json()) {
        let text = value.to_string();
        let _ = serde_json::from_str::<CommunicationIdentifierModel>(&text);
        if let Ok(id) = serde_json::from_str::<CommunicationIdentifier>(&text) {
            // Whatever we accept, we write back in a form we read back the same.
            let again: CommunicationIdentifier = serde_json::from_str(&serde_json::to_string(&id).unwrap()).unwrap();
            prop_assert_eq!(again, id);
        }
    }

    #[test]
    fn teams_users_parse_back(user_id in "[^:]{0,20}", anonymous in any::<bool>(), cloud in cloud()) {
        let user = MicrosoftTeamsUserIdentifier::new(user_id.clone(), anonymous, cloud);
        let CommunicationIdentifier::MicrosoftTeamsUser(parsed) = CommunicationIdentifier::from_raw_id(user.raw_id())
        else { panic!("{user:?} did not parse back as a Teams user") };
        prop_assert_eq!(parsed.user_id(), user_id);
        prop_assert_eq!(parsed.is_anonymous(), anonymous);
        // An anonymous user's rawId carries no cloud; it reads back as public.
        let expected_cloud = if anonymous { CommunicationCloudEnvironment::Public } else { cloud };
        prop_assert_eq!(parsed.cloud(), expected_cloud);
        prop_assert_eq!(parsed, user);
    }

    #[test]
    fn teams_apps_parse_back(app_id in "[^:]{0,20}", cloud in cloud()) {
        let app = MicrosoftTeamsAppIdentifier::new(app_id.clone(), cloud);
        let CommunicationIdentifier::MicrosoftTeamsApp(parsed) = CommunicationIdentifier::from_raw_id(app.raw_id())
        else { panic!("{app:?} did not parse back as a Teams app") };
        prop_assert_eq!(parsed.app_id(), app_id);
        prop_assert_eq!(parsed.cloud(), cloud);
    }

    #[test]
    fn teams_extension_users_parse_back(
        user_id in "[^:_]{0,12}", tenant_id in "[^:_]{0,12}", resource_id in "[^:_]{0,12}", cloud in cloud(),
    ) {
        let user = TeamsExtensionUserIdentifier::new(user_id.clone(), tenant_id.clone(), resource_id.clone(), cloud);
        let CommunicationIdentifier::TeamsExtensionUser(parsed) = CommunicationIdentifier::from_raw_id(user.raw_id())
        else { panic!("{user:?} did not parse back as a Teams extension user") };
        prop_assert_eq!(
            (parsed.user_id(), parsed.tenant_id(), parsed.resource_id(), parsed.cloud()),
            (user_id.as_str(), tenant_id.as_str(), resource_id.as_str(), cloud)
        );
    }

    #[test]
    fn phone_numbers_parse_back(number in any::<String>()) {
        let phone = PhoneNumberIdentifier::new(number.clone());
        let CommunicationIdentifier::PhoneNumber(parsed) = CommunicationIdentifier::from_raw_id(phone.raw_id())
        else { panic!("{phone:?} did not parse back as a phone number") };
        prop_assert_eq!(parsed.phone_number(), number);
        prop_assert_eq!(parsed.asserted_id(), phone.asserted_id());
        prop_assert_eq!(parsed.is_anonymous(), phone.is_anonymous());
    }

    #[test]
    fn scopes_keep_their_string(scope in any::<String>()) {
        let parsed: TokenScope = scope.parse().unwrap();
        prop_assert_eq!(parsed.as_str(), scope.as_str());
        let json = serde_json::to_string(&parsed).unwrap();
        prop_assert_eq!(serde_json::from_str::<TokenScope>(&json).unwrap(), parsed);
    }

    #[test]
    fn lifetimes_are_whole_minutes_in_range(
        secs in prop_oneof![0u64..200_000, (0u64..3000).prop_map(|minutes| minutes * 60)],
        nanos in prop_oneof![Just(0u32), 1u32..1_000_000_000]) {
        let duration = Duration::new(secs, nanos);
        let valid = nanos == 0 && secs % 60 == 0 && (3600..=86_400).contains(&secs);
        match TokenLifetime::try_from(duration) {
            Ok(lifetime) => {
                prop_assert!(valid);
                prop_assert_eq!(lifetime.as_duration(), duration);
                prop_assert_eq!(u64::from(lifetime.as_minutes()) * 60, secs);
            }
            Err(_) => prop_assert!(!valid),
        }
    }

    #[test]
    fn custom_ids_are_1_to_256_non_blank_chars(id in ".{0,300}") {
        let valid = (1..=256).contains(&id.chars().count()) && !id.trim().is_empty();
        match CustomId::new(id.clone()) {
            Ok(custom_id) => {
                prop_assert!(valid);
                prop_assert_eq!(custom_id.as_str(), id);
            }
            Err(_) => prop_assert!(!valid),
        }
    }
}
