//! Unit tests of the validated types, the scopes, the api-version table and the identifier model's error paths.

use std::time::Duration;

use acs_identity_types::{
    AccessToken, ApiVersion, CAPABILITIES, CommunicationCloudEnvironment, CommunicationIdentifier,
    CommunicationIdentifierModel, CustomId, CustomIdError, Feature, IdentifierError,
    IdentifierKind, TokenLifetime, TokenLifetimeError, TokenScope,
};
use serde_json::json;
use time::macros::datetime;

// ---- token lifetime

#[test]
fn lifetime_bounds() {
    assert_eq!(TokenLifetime::from_minutes(60), Ok(TokenLifetime::MIN));
    assert_eq!(TokenLifetime::from_minutes(1440), Ok(TokenLifetime::MAX));
    assert_eq!(TokenLifetime::MIN.as_minutes(), 60);
    assert_eq!(TokenLifetime::MAX.as_minutes(), 1440);
    assert_eq!(
        TokenLifetime::from_minutes(59),
        Err(TokenLifetimeError::OutOfRange { minutes: 59 })
    );
    assert_eq!(
        TokenLifetime::from_minutes(1441),
        Err(TokenLifetimeError::OutOfRange { minutes: 1441 })
    );
    assert_eq!(
        TokenLifetime::from_minutes(0),
        Err(TokenLifetimeError::OutOfRange { minutes: 0 })
    );
    assert_eq!(
        TokenLifetime::from_minutes(u32::MAX),
        Err(TokenLifetimeError::OutOfRange {
            minutes: 4_294_967_295
        })
    );
}

#[test]
fn lifetime_default_is_24_hours() {
    assert_eq!(TokenLifetime::default(), TokenLifetime::MAX);
    assert_eq!(
        TokenLifetime::default().as_duration(),
        Duration::from_secs(24 * 3600)
    );
}

#[test]
fn lifetime_from_duration() {
    assert_eq!(
        TokenLifetime::try_from(Duration::from_secs(90 * 60))
            .unwrap()
            .as_minutes(),
        90
    );
    assert_eq!(
        TokenLifetime::try_from(Duration::from_secs(59 * 60)),
        Err(TokenLifetimeError::OutOfRange { minutes: 59 })
    );
    assert_eq!(
        TokenLifetime::try_from(Duration::from_secs(25 * 3600)),
        Err(TokenLifetimeError::OutOfRange { minutes: 1500 })
    );
    let huge = Duration::from_secs(u64::MAX / 60 * 60);
    assert_eq!(
        TokenLifetime::try_from(huge),
        Err(TokenLifetimeError::OutOfRange {
            minutes: u64::MAX / 60
        })
    );
}

#[test]
fn sub_minute_durations_are_rejected_not_rounded() {
    for duration in [
        Duration::from_secs(30),
        Duration::from_secs(3600 + 30), // .NET would round to 61 minutes
        Duration::from_secs(3600 + 59), // Python would truncate to 60 minutes
        Duration::from_secs(3600) + Duration::from_nanos(1),
        Duration::from_secs(3600) - Duration::from_nanos(1),
        Duration::MAX,
    ] {
        assert_eq!(
            TokenLifetime::try_from(duration),
            Err(TokenLifetimeError::NotWholeMinutes { duration })
        );
    }
}

#[test]
fn lifetime_errors_say_the_allowed_range() {
    let out_of_range = TokenLifetime::from_minutes(59).unwrap_err().to_string();
    assert!(
        out_of_range.contains("60 to 1440 minutes") && out_of_range.contains("59"),
        "{out_of_range}"
    );
    let sub_minute = TokenLifetime::try_from(Duration::from_secs(90))
        .unwrap_err()
        .to_string();
    assert!(
        sub_minute.contains("whole number of minutes") && sub_minute.contains("60 to 1440"),
        "{sub_minute}"
    );
}

#[test]
fn lifetime_serde_is_validated_minutes() {
    let lifetime = TokenLifetime::from_minutes(90).unwrap();
    assert_eq!(serde_json::to_string(&lifetime).unwrap(), "90");
    assert_eq!(
        serde_json::from_str::<TokenLifetime>("90").unwrap(),
        lifetime
    );
    assert!(serde_json::from_str::<TokenLifetime>("59").is_err());
    assert!(serde_json::from_str::<TokenLifetime>("-1").is_err());
    assert_eq!(lifetime.to_string(), "90 minutes");
}

// ---- custom id

#[test]
fn custom_id_length_is_counted_in_characters() {
    assert_eq!(CustomId::new(""), Err(CustomIdError::Empty));
    assert_eq!(
        CustomId::new("x".repeat(257)),
        Err(CustomIdError::TooLong { chars: 257 })
    );
    assert!(CustomId::new("x".repeat(256)).is_ok());
    let accented = "é".repeat(256);
    assert_eq!(accented.len(), 512);
    assert_eq!(CustomId::new(accented.clone()).unwrap().as_str(), accented);
    assert_eq!(
        CustomId::new("é".repeat(257)),
        Err(CustomIdError::TooLong { chars: 257 })
    );
}

#[test]
fn blank_custom_ids_are_rejected_and_others_kept_exactly() {
    assert_eq!(CustomId::new(" "), Err(CustomIdError::Blank));
    assert_eq!(CustomId::new("\t\n "), Err(CustomIdError::Blank));
    assert_eq!(CustomId::new(" alice ").unwrap().as_str(), " alice ");
}

#[test]
fn custom_id_serde_and_display() {
    let id: CustomId = "alice".parse().unwrap();
    assert_eq!(id.to_string(), "alice");
    assert_eq!(serde_json::to_string(&id).unwrap(), r#""alice""#);
    assert_eq!(serde_json::from_str::<CustomId>(r#""alice""#).unwrap(), id);
    assert!(serde_json::from_str::<CustomId>(r#""""#).is_err());
    assert!(
        CustomIdError::TooLong { chars: 300 }
            .to_string()
            .contains("256")
    );
}

// ---- access token

#[test]
fn access_token_debug_is_redacted() {
    let token = AccessToken::new(
        "secret-token-value",
        datetime!(2025-04-14 17:32:27.2078535 UTC),
    );
    let debug = format!("{token:?}");
    assert!(!debug.contains("secret-token-value"), "{debug}");
    assert!(debug.contains("[redacted]"), "{debug}");
    assert!(debug.contains("2025-04-14"), "{debug}");
    let pretty = format!("{token:#?}");
    assert!(!pretty.contains("secret-token-value"), "{pretty}");
    assert_eq!(token.token(), "secret-token-value");
    assert_eq!(
        token.expires_on(),
        datetime!(2025-04-14 17:32:27.2078535 UTC)
    );
    assert_eq!(token.into_token(), "secret-token-value");
}

// ---- scopes

#[test]
fn scopes_serde_as_their_strings() {
    let all = [
        (TokenScope::Chat, "chat"),
        (TokenScope::Voip, "voip"),
        (TokenScope::ChatJoin, "chat.join"),
        (TokenScope::ChatJoinLimited, "chat.join.limited"),
        (TokenScope::VoipJoin, "voip.join"),
    ];
    for (scope, text) in all {
        assert_eq!(scope.as_str(), text);
        assert_eq!(scope.to_string(), text);
        assert_eq!(text.parse::<TokenScope>().unwrap(), scope);
        // The named variant, not `Other` (which would compare equal too).
        assert_eq!(
            std::mem::discriminant(&text.parse::<TokenScope>().unwrap()),
            std::mem::discriminant(&scope)
        );
        assert_eq!(serde_json::to_value(&scope).unwrap(), json!(text));
    }
}

#[test]
fn unknown_scopes_are_preserved() {
    let scopes: Vec<TokenScope> =
        serde_json::from_str(r#"["chat","teams.future","Chat"]"#).unwrap();
    assert_eq!(
        scopes,
        [
            TokenScope::Chat,
            TokenScope::Other("teams.future".into()),
            TokenScope::Other("Chat".into())
        ]
    );
    assert!(
        matches!(&scopes[2], TokenScope::Other(scope) if scope == "Chat"),
        "matching is case-sensitive"
    );
    assert_eq!(
        serde_json::to_string(&scopes).unwrap(),
        r#"["chat","teams.future","Chat"]"#
    );
    assert_eq!(TokenScope::Other("chat".into()), TokenScope::Chat);
}

// ---- api versions

#[test]
fn api_versions_parse_and_print() {
    for &version in ApiVersion::ALL {
        assert_eq!(version.as_str().parse::<ApiVersion>(), Ok(version));
        assert_eq!(version.to_string(), version.as_str());
        assert_eq!(
            serde_json::to_value(version).unwrap(),
            json!(version.as_str())
        );
    }
    assert_eq!(ApiVersion::ALL.len(), 14);
    assert_eq!(ApiVersion::default(), ApiVersion::V2025_03_02_Preview);
    assert_eq!(ApiVersion::LATEST_STABLE, ApiVersion::V2025_06_30);
    assert!(ApiVersion::V2025_03_02_Preview.is_preview());
    assert!(
        ApiVersion::ALL
            .iter()
            .filter(|version| version.is_preview())
            .count()
            == 5
    );
}

#[test]
fn unknown_api_version_is_an_error_carrying_the_string() {
    let error = "2024-01-01".parse::<ApiVersion>().unwrap_err();
    assert_eq!(error.as_str(), "2024-01-01");
    let message = error.to_string();
    assert!(
        message.contains("2024-01-01") && message.contains("2025-06-30"),
        "{message}"
    );
    assert!("2025-06-30 ".parse::<ApiVersion>().is_err());
    assert!("2025-03-02-PREVIEW".parse::<ApiVersion>().is_err());
    assert!(serde_json::from_value::<ApiVersion>(json!("1999-01-01")).is_err());
}

#[test]
fn api_versions_are_ordered_by_date() {
    let mut by_string = ApiVersion::ALL.to_vec();
    by_string.sort_by_key(|version| version.as_str());
    assert_eq!(by_string, ApiVersion::ALL);
    let mut sorted = ApiVersion::ALL.to_vec();
    sorted.sort();
    assert_eq!(sorted, ApiVersion::ALL);
    assert!(ApiVersion::V2025_03_02_Preview < ApiVersion::V2025_06_30);
}

#[test]
fn every_feature_has_exactly_one_row() {
    assert_eq!(Feature::ALL.len(), 16);
    for &feature in Feature::ALL {
        assert_eq!(
            CAPABILITIES
                .iter()
                .filter(|(row, _)| *row == feature)
                .count(),
            1,
            "{feature:?}"
        );
    }
    assert_eq!(CAPABILITIES.len(), Feature::ALL.len());
}

#[test]
fn first_version_supports_the_feature() {
    for &feature in Feature::ALL {
        let first = feature
            .first_version()
            .unwrap_or_else(|| panic!("{feature:?} has a version"));
        assert!(first.supports(feature), "{feature:?}");
        // Oldest stable if any stable version has it.
        let oldest_stable = ApiVersion::ALL
            .iter()
            .copied()
            .find(|v| !v.is_preview() && v.supports(feature));
        assert_eq!(
            first,
            oldest_stable.unwrap_or(ApiVersion::V2025_03_02_Preview),
            "{feature:?}"
        );
    }
}

#[test]
fn capability_table() {
    use ApiVersion::*;
    let expect = |feature: Feature, versions: &[ApiVersion]| {
        for &version in ApiVersion::ALL {
            assert_eq!(
                version.supports(feature),
                versions.contains(&version),
                "{feature:?} in {version}"
            );
        }
    };
    for feature in [
        Feature::CreateUser,
        Feature::CreateUserWithToken,
        Feature::IssueToken,
        Feature::RevokeTokens,
    ] {
        expect(feature, ApiVersion::ALL);
    }
    expect(Feature::DeleteUser, ApiVersion::ALL);
    let from = |first: ApiVersion| -> Vec<ApiVersion> {
        ApiVersion::ALL
            .iter()
            .copied()
            .filter(|v| *v >= first)
            .collect()
    };
    let previews = [V2025_03_02_Preview, V2025_03_31_Preview];
    expect(Feature::TeamsUserExchange, &from(V2021_03_31_Preview1));
    expect(Feature::TeamsUserExchangeChecks, &from(V2022_06_01));
    expect(Feature::TokenLifetime, &from(V2022_09_01));
    expect(Feature::CreateTokenLifetime, &from(V2022_10_01));
    expect(Feature::JoinScopes, &from(V2023_10_01));
    expect(Feature::CustomId, &previews);
    expect(Feature::GetUser, &previews);
    let teams_extension = [
        V2025_03_02_Preview,
        V2025_03_31_Preview,
        V2025_06_30,
        V2026_09_23,
    ];
    expect(Feature::TeamsExtensionExchange, &teams_extension);
    expect(Feature::TeamsExtensionAssignments, &teams_extension);
    expect(Feature::EntraExchange, &previews);
    expect(Feature::EntraAssignments, &previews);
    assert!(!V2025_06_30.supports(Feature::CustomId));
    assert_eq!(
        Feature::TeamsExtensionExchange.first_version(),
        Some(V2025_06_30)
    );
    assert_eq!(Feature::TokenLifetime.first_version(), Some(V2022_09_01));
    assert_eq!(
        Feature::CreateTokenLifetime.first_version(),
        Some(V2022_10_01)
    );
    assert_eq!(Feature::JoinScopes.first_version(), Some(V2023_10_01));
}

#[test]
fn ensure_names_a_version_to_use() {
    assert_eq!(ApiVersion::V2025_06_30.ensure(Feature::IssueToken), Ok(()));
    let error = ApiVersion::V2025_06_30
        .ensure(Feature::CustomId)
        .unwrap_err();
    assert_eq!(error.supported_by, Some(ApiVersion::V2025_03_02_Preview));
    assert_eq!(
        error.to_string(),
        "custom id is not available in api-version 2025-06-30; use api-version 2025-03-02-preview"
    );
    assert_eq!(Feature::CustomId.name(), "custom id");
    assert_eq!(Feature::GetUser.to_string(), "get user");
}

// ---- identifier kinds, clouds and the wire model

#[test]
fn identifier_kinds_are_the_wire_kinds() {
    let kinds = [
        (IdentifierKind::CommunicationUser, "communicationUser"),
        (IdentifierKind::PhoneNumber, "phoneNumber"),
        (IdentifierKind::MicrosoftTeamsUser, "microsoftTeamsUser"),
        (IdentifierKind::MicrosoftTeamsApp, "microsoftTeamsApp"),
        (IdentifierKind::TeamsExtensionUser, "teamsExtensionUser"),
        (IdentifierKind::Unknown, "unknown"),
    ];
    for (kind, text) in kinds {
        assert_eq!(kind.as_str(), text);
        assert_eq!(kind.to_string(), text);
    }
}

#[test]
fn clouds_parse() {
    assert_eq!("public".parse(), Ok(CommunicationCloudEnvironment::Public));
    assert_eq!("DoD".parse(), Ok(CommunicationCloudEnvironment::Dod));
    assert_eq!(CommunicationCloudEnvironment::Gcch.to_string(), "gcch");
    assert_eq!(
        "gov".parse::<CommunicationCloudEnvironment>(),
        Err(IdentifierError::UnknownCloud {
            value: "gov".into()
        })
    );
}

fn decode(value: serde_json::Value) -> Result<CommunicationIdentifier, IdentifierError> {
    let model: CommunicationIdentifierModel = serde_json::from_value(value).unwrap();
    CommunicationIdentifier::try_from(model)
}

#[test]
fn two_nested_objects_are_rejected_with_a_clear_error() {
    let value = json!({"rawId": "x", "microsoftTeamsApp": {"appId": "a"}, "teamsExtensionUser": {"userId": "u"}});
    let error = serde_json::from_value::<CommunicationIdentifierModel>(value.clone())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("microsoftTeamsApp") && error.contains("teamsExtensionUser"),
        "{error}"
    );
    assert!(error.contains("only one of the properties"), "{error}");
    assert!(serde_json::from_value::<CommunicationIdentifier>(value).is_err());
}

#[test]
fn a_model_without_raw_id_or_nested_object_is_rejected() {
    assert_eq!(decode(json!({})), Err(IdentifierError::MissingRawId));
    assert_eq!(
        decode(json!({"kind": "someFutureKind"})),
        Err(IdentifierError::MissingRawId)
    );
}

#[test]
fn missing_raw_id_is_computed_from_the_nested_object() {
    let phone = decode(json!({"phoneNumber": {"value": "+1"}})).unwrap();
    assert_eq!(phone.raw_id(), "4:+1");
    let user = decode(
        json!({"microsoftTeamsUser": {"userId": "u", "isAnonymous": false, "cloud": "dod"}}),
    )
    .unwrap();
    assert_eq!(user.raw_id(), "8:dod:u");
    let app = decode(json!({"microsoftTeamsApp": {"appId": "a"}})).unwrap();
    assert_eq!(app.raw_id(), "28:orgid:a", "a missing cloud is public");
}

#[test]
fn kind_decides_and_unknown_kinds_are_unknown() {
    let future = decode(
        json!({"kind": "someFutureKind", "rawId": "99:x", "communicationUser": {"id": "8:acs:x"}}),
    );
    assert_eq!(future.unwrap().kind(), IdentifierKind::Unknown);
    let mismatch = decode(
        json!({"kind": "phoneNumber", "rawId": "8:acs:x", "communicationUser": {"id": "8:acs:x"}}),
    );
    assert_eq!(mismatch.unwrap().kind(), IdentifierKind::Unknown);
    let any_case = decode(
        json!({"kind": "CommunicationUser", "rawId": "8:acs:x", "communicationUser": {"id": "8:acs:x"}}),
    );
    assert_eq!(any_case.unwrap().kind(), IdentifierKind::CommunicationUser);
}

#[test]
fn unknown_clouds() {
    let with_raw_id =
        decode(json!({"rawId": "28:mars:a", "microsoftTeamsApp": {"appId": "a", "cloud": "mars"}}));
    assert_eq!(
        with_raw_id.unwrap(),
        CommunicationIdentifier::from_raw_id("28:mars:a")
    );
    let without = decode(json!({"microsoftTeamsApp": {"appId": "a", "cloud": "mars"}}));
    assert_eq!(
        without,
        Err(IdentifierError::UnknownCloud {
            value: "mars".into()
        })
    );
}

#[test]
fn missing_properties_of_every_nested_kind() {
    let cases = [
        (
            json!({"rawId": "x", "microsoftTeamsApp": {}}),
            "microsoftTeamsApp",
            "appId",
        ),
        (
            json!({"rawId": "x", "teamsExtensionUser": {"tenantId": "t", "resourceId": "r"}}),
            "teamsExtensionUser",
            "userId",
        ),
        (
            json!({"rawId": "x", "teamsExtensionUser": {"userId": "u", "resourceId": "r"}}),
            "teamsExtensionUser",
            "tenantId",
        ),
        (
            json!({"rawId": "x", "teamsExtensionUser": {"userId": "u", "tenantId": "t"}}),
            "teamsExtensionUser",
            "resourceId",
        ),
    ];
    for (value, kind, property) in cases {
        assert_eq!(
            decode(value),
            Err(IdentifierError::MissingProperty { kind, property })
        );
    }
    let message = IdentifierError::MissingProperty {
        kind: "phoneNumber",
        property: "value",
    }
    .to_string();
    assert_eq!(
        message,
        "property `value` is required for an identifier of kind `phoneNumber`"
    );
}

#[test]
fn serialized_models_carry_kind() {
    let id = CommunicationIdentifier::from_raw_id("8:acs:r_t_u");
    assert_eq!(
        serde_json::to_value(&id).unwrap(),
        json!({
            "rawId": "8:acs:r_t_u",
            "kind": "teamsExtensionUser",
            "teamsExtensionUser": {"userId": "u", "tenantId": "t", "resourceId": "r", "cloud": "public"}
        })
    );
    let unknown = CommunicationIdentifier::from_raw_id("48:x");
    assert_eq!(
        serde_json::to_value(&unknown).unwrap(),
        json!({"rawId": "48:x", "kind": "unknown"})
    );
}
