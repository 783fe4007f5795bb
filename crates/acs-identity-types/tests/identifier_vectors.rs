//! Every vector of `data/identifiers.json` (the official SDKs' identifier tests), section by section.
//!
//! Where the SDKs disagree we follow the majority (.NET, JS, Java, iOS) over Python; `divergences` below asserts
//! the side we took for each listed topic.

use std::collections::BTreeSet;
use std::hash::{BuildHasher, RandomState};

use acs_identity_types::{
    CommunicationCloudEnvironment, CommunicationIdentifier, CommunicationIdentifierModel,
    CommunicationUserIdentifier, IdentifierError, MicrosoftTeamsAppIdentifier,
    MicrosoftTeamsUserIdentifier, PhoneNumberIdentifier, TeamsExtensionUserIdentifier,
    UnknownIdentifier,
};
use serde_json::Value;

const VECTORS: &str = include_str!("data/identifiers.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).unwrap()
}

fn array<'a>(value: &'a Value, key: &str) -> &'a Vec<Value> {
    value[key]
        .as_array()
        .unwrap_or_else(|| panic!("`{key}` is an array"))
}

fn string<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("`{key}` is a string in {value}"))
}

fn cloud_of(value: &Value) -> CommunicationCloudEnvironment {
    value["cloud"]
        .as_str()
        .map_or(CommunicationCloudEnvironment::Public, |cloud| {
            cloud.parse().unwrap()
        })
}

/// Builds an identifier from a vector's fields the way a user would with the constructors.
fn build(value: &Value) -> CommunicationIdentifier {
    let raw_id = value["raw_id"].as_str();
    match string(value, "kind") {
        "communicationUser" => CommunicationUserIdentifier::new(string(value, "id")).into(),
        "phoneNumber" => {
            let phone = PhoneNumberIdentifier::new(string(value, "phone_number"));
            raw_id
                .map_or(phone.clone(), |raw_id| phone.with_raw_id(raw_id))
                .into()
        }
        "microsoftTeamsUser" => {
            let is_anonymous = value["is_anonymous"].as_bool().unwrap_or(false);
            let user = MicrosoftTeamsUserIdentifier::new(
                string(value, "user_id"),
                is_anonymous,
                cloud_of(value),
            );
            raw_id
                .map_or(user.clone(), |raw_id| user.with_raw_id(raw_id))
                .into()
        }
        "microsoftTeamsApp" => {
            let app = MicrosoftTeamsAppIdentifier::new(string(value, "app_id"), cloud_of(value));
            raw_id
                .map_or(app.clone(), |raw_id| app.with_raw_id(raw_id))
                .into()
        }
        "teamsExtensionUser" => {
            let user = TeamsExtensionUserIdentifier::new(
                string(value, "user_id"),
                string(value, "tenant_id"),
                string(value, "resource_id"),
                cloud_of(value),
            );
            raw_id
                .map_or(user.clone(), |raw_id| user.with_raw_id(raw_id))
                .into()
        }
        // `unknown`, and any kind this crate does not know (`foobar` in the wire vectors).
        _ => UnknownIdentifier::new(string(value, "id")).into(),
    }
}

/// Asserts that `id` has every field `expected` names; an unrecognised field name fails the test.
fn assert_fields(id: &CommunicationIdentifier, expected: &Value) {
    let context = format!("{expected} vs {id:?}");
    assert_eq!(id.kind().as_str(), string(expected, "kind"), "{context}");
    for (key, want) in expected.as_object().unwrap() {
        let got: Value = match (key.as_str(), id) {
            ("kind" | "sources" | "notes" | "expect_roundtrip" | "python_result", _) => continue,
            ("raw_id", _) => id.raw_id().into(),
            ("id", CommunicationIdentifier::CommunicationUser(user)) => user.id().into(),
            ("id", CommunicationIdentifier::Unknown(unknown)) => unknown.id().into(),
            ("phone_number", CommunicationIdentifier::PhoneNumber(phone)) => {
                phone.phone_number().into()
            }
            ("is_anonymous", CommunicationIdentifier::PhoneNumber(phone)) => {
                phone.is_anonymous().into()
            }
            ("asserted_id", CommunicationIdentifier::PhoneNumber(phone)) => {
                phone.asserted_id().into()
            }
            ("user_id", CommunicationIdentifier::MicrosoftTeamsUser(user)) => user.user_id().into(),
            ("is_anonymous", CommunicationIdentifier::MicrosoftTeamsUser(user)) => {
                user.is_anonymous().into()
            }
            ("cloud", CommunicationIdentifier::MicrosoftTeamsUser(user)) => {
                user.cloud().as_str().into()
            }
            ("app_id", CommunicationIdentifier::MicrosoftTeamsApp(app)) => app.app_id().into(),
            ("cloud", CommunicationIdentifier::MicrosoftTeamsApp(app)) => {
                app.cloud().as_str().into()
            }
            ("user_id", CommunicationIdentifier::TeamsExtensionUser(user)) => user.user_id().into(),
            ("tenant_id", CommunicationIdentifier::TeamsExtensionUser(user)) => {
                user.tenant_id().into()
            }
            ("resource_id", CommunicationIdentifier::TeamsExtensionUser(user)) => {
                user.resource_id().into()
            }
            ("cloud", CommunicationIdentifier::TeamsExtensionUser(user)) => {
                user.cloud().as_str().into()
            }
            _ => panic!("unexpected field `{key}` for {context}"),
        };
        assert_eq!(&got, want, "field `{key}` of {context}");
    }
}

fn hash_of(id: &CommunicationIdentifier, state: &RandomState) -> u64 {
    state.hash_one(id)
}

#[test]
fn the_file_has_the_sections_we_check() {
    let all = vectors();
    let keys: BTreeSet<&str> = all
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected = [
        "construct_vectors",
        "description",
        "divergences",
        "equality",
        "legacy_microsoft_bot",
        "parse_vectors",
        "phone_computed_properties",
        "wire_model",
    ];
    assert_eq!(keys, expected.into_iter().collect());
}

#[test]
fn parse_vectors() {
    let all = vectors();
    let cases = array(&all, "parse_vectors");
    assert_eq!(cases.len(), 50);
    for case in cases {
        let raw_id = string(case, "raw_id");
        let id = CommunicationIdentifier::from_raw_id(raw_id);
        assert_fields(&id, case);
        assert_eq!(
            case["expect_roundtrip"],
            Value::Bool(true),
            "every vector round-trips: {case}"
        );
        assert_eq!(id.raw_id(), raw_id);
        assert_eq!(id.to_string(), raw_id);
        assert_eq!(raw_id.parse::<CommunicationIdentifier>().unwrap(), id);
        // Where Python differs, it is the minority: we must not give its answer.
        if let Some(python) = case.get("python_result") {
            assert_ne!(id.kind().as_str(), string(python, "kind"), "{case}");
        }
    }
}

#[test]
fn construct_vectors() {
    let all = vectors();
    let cases = array(&all, "construct_vectors");
    assert_eq!(cases.len(), 27);
    for case in cases {
        let id = build(&case["input"]);
        assert_eq!(id.raw_id(), string(case, "raw_id"), "{case}");
    }
}

#[test]
fn phone_computed_properties() {
    let all = vectors();
    let cases = array(&all["phone_computed_properties"], "cases");
    assert_eq!(cases.len(), 12);
    for case in cases {
        let phone = PhoneNumberIdentifier::new(string(case, "phone_number"));
        let phone = match case["raw_id"].as_str() {
            Some(raw_id) => phone.with_raw_id(raw_id),
            None => phone,
        };
        let mut asserted = 0;
        if let Some(is_anonymous) = case.get("is_anonymous") {
            assert_eq!(&Value::from(phone.is_anonymous()), is_anonymous, "{case}");
            asserted += 1;
        }
        if let Some(asserted_id) = case.get("asserted_id") {
            assert_eq!(&Value::from(phone.asserted_id()), asserted_id, "{case}");
            // Stable on repeated access (the .NET SDK's cached getter is not).
            assert_eq!(&Value::from(phone.asserted_id()), asserted_id, "{case}");
            asserted += 1;
        }
        assert!(asserted > 0, "a case with nothing to check: {case}");
    }
}

#[test]
fn equality() {
    let all = vectors();
    let state = RandomState::new();
    let equal = array(&all["equality"], "equal");
    let not_equal = array(&all["equality"], "not_equal");
    assert_eq!((equal.len(), not_equal.len()), (4, 5));
    for pair in equal {
        let (a, b) = (build(&pair[0]), build(&pair[1]));
        assert_eq!(a, b, "{pair}");
        assert_eq!(hash_of(&a, &state), hash_of(&b, &state), "{pair}");
    }
    for pair in not_equal {
        let (a, b) = (build(&pair[0]), build(&pair[1]));
        assert_ne!(a, b, "{pair}");
    }
}

#[test]
fn equality_requires_the_same_kind() {
    let raw_id = "8:acs:resource_tenant_user";
    let parsed = CommunicationIdentifier::from_raw_id(raw_id);
    let as_user: CommunicationIdentifier = CommunicationUserIdentifier::new(raw_id).into();
    assert_eq!(parsed.raw_id(), as_user.raw_id());
    assert_ne!(parsed, as_user);
}

#[test]
fn wire_model_serialize() {
    let all = vectors();
    let cases = array(&all["wire_model"], "serialize");
    assert_eq!(cases.len(), 13);
    for case in cases {
        let id = build(&case["identifier"]);
        let mut json = serde_json::to_value(CommunicationIdentifierModel::from(&id)).unwrap();
        // The SDKs omit `kind`; we write it (the spec has it, responses carry it). The rest must match exactly.
        let kind = json.as_object_mut().unwrap().remove("kind").unwrap();
        assert_eq!(kind, Value::from(id.kind().as_str()), "{case}");
        assert_eq!(json, case["model"], "{case}");
        // The identifier serializes exactly as its model.
        let mut direct = serde_json::to_value(&id).unwrap();
        direct.as_object_mut().unwrap().remove("kind");
        assert_eq!(direct, case["model"], "{case}");
    }
}

#[test]
fn wire_model_deserialize() {
    let all = vectors();
    let cases = array(&all["wire_model"], "deserialize");
    assert_eq!(cases.len(), 20);
    for case in cases {
        let id: CommunicationIdentifier = serde_json::from_value(case["model"].clone()).unwrap();
        assert_fields(&id, &case["identifier"]);
        // Through the model explicitly, too.
        let model: CommunicationIdentifierModel =
            serde_json::from_value(case["model"].clone()).unwrap();
        assert_eq!(model.raw_id(), case["model"]["rawId"].as_str());
        assert_eq!(CommunicationIdentifier::try_from(model).unwrap(), id);
    }
}

/// Maps the SDKs' error texts to our typed errors.
fn expected_error(message: &str) -> IdentifierError {
    if let Some(rest) = message.strip_prefix("Property ") {
        let (property, rest) = rest
            .split_once(" is required for identifier of type ")
            .unwrap();
        let kind = rest.strip_suffix('.').unwrap();
        let kind = [
            "communicationUser",
            "phoneNumber",
            "microsoftTeamsUser",
            "microsoftTeamsApp",
            "teamsExtensionUser",
        ]
        .into_iter()
        .find(|known| *known == kind)
        .unwrap();
        let property = [
            "id",
            "value",
            "userId",
            "isAnonymous",
            "appId",
            "tenantId",
            "resourceId",
        ]
        .into_iter()
        .find(|known| *known == property)
        .unwrap();
        return IdentifierError::MissingProperty { kind, property };
    }
    let list = message
        .strip_prefix("Only one of the properties in ")
        .unwrap();
    let list = list.strip_suffix(" should be present.").unwrap();
    let names: Vec<String> = serde_json::from_str(list).unwrap();
    let present = names
        .iter()
        .map(|name| {
            [
                "communicationUser",
                "phoneNumber",
                "microsoftTeamsUser",
                "microsoftTeamsApp",
                "teamsExtensionUser",
            ]
            .into_iter()
            .find(|known| known == name)
            .unwrap()
        })
        .collect();
    IdentifierError::MultipleNestedModels { present }
}

#[test]
fn wire_model_errors() {
    let all = vectors();
    let cases = array(&all["wire_model"], "errors");
    assert_eq!(cases.len(), 5);
    for case in cases {
        let expected = expected_error(string(case, "error"));
        let model = serde_json::from_value::<CommunicationIdentifierModel>(case["model"].clone());
        let got = match model {
            Ok(model) => CommunicationIdentifier::try_from(model).unwrap_err(),
            Err(error) => {
                // Only the two-nested-objects check happens while deserializing the model.
                assert!(
                    matches!(expected, IdentifierError::MultipleNestedModels { .. }),
                    "{case}: {error}"
                );
                assert!(
                    error.to_string().starts_with(&expected.to_string()),
                    "{case}: {error}"
                );
                expected.clone()
            }
        };
        assert_eq!(got, expected, "{case}");
        assert!(
            serde_json::from_value::<CommunicationIdentifier>(case["model"].clone()).is_err(),
            "{case}"
        );
    }
}

#[test]
fn legacy_microsoft_bot() {
    let all = vectors();
    let cases = array(&all["legacy_microsoft_bot"], "vectors");
    assert_eq!(cases.len(), 6);
    for case in cases {
        let raw_id = string(case, "raw_id");
        let id = CommunicationIdentifier::from_raw_id(raw_id);
        assert_eq!(id.raw_id(), raw_id);
        // Bots with a resource account are Teams apps today; the `*-global` and two-segment forms are unknown.
        match (
            &id,
            case["is_resource_account_configured"].as_bool().unwrap(),
        ) {
            (CommunicationIdentifier::MicrosoftTeamsApp(app), true) => {
                assert_eq!(app.app_id(), string(case, "bot_id"));
                assert_eq!(app.cloud().as_str(), string(case, "cloud"));
            }
            (CommunicationIdentifier::Unknown(unknown), false) => assert_eq!(unknown.id(), raw_id),
            _ => panic!("{case} parsed as {id:?}"),
        }
    }
}

#[test]
fn divergences() {
    let all = vectors();
    let topics = array(&all, "divergences");
    assert_eq!(topics.len(), 6);
    for topic in topics {
        match string(topic, "topic") {
            "segment count" => {
                // Majority: exactly three segments, or unknown (checked per vector in `parse_vectors`).
                let with_python: Vec<_> = array(&all, "parse_vectors")
                    .iter()
                    .filter(|case| case.get("python_result").is_some())
                    .collect();
                assert_eq!(with_python.len(), 10);
                for case in with_python {
                    assert_eq!(string(case, "kind"), "unknown");
                }
                assert_eq!(
                    CommunicationIdentifier::from_raw_id("8:acs:a:b")
                        .kind()
                        .as_str(),
                    "unknown"
                );
            }
            "empty rawId" => {
                // `parse` rejects it like .NET and Java; `from_raw_id` never fails and keeps it, like JS and Python.
                assert_eq!(
                    "".parse::<CommunicationIdentifier>(),
                    Err(IdentifierError::EmptyRawId)
                );
                assert_eq!(
                    " \t".parse::<CommunicationIdentifier>(),
                    Err(IdentifierError::EmptyRawId)
                );
                assert_eq!(
                    CommunicationIdentifier::from_raw_id(""),
                    UnknownIdentifier::new("").into()
                );
            }
            "phone prefix case" => {
                // `4:` has no letters, so case cannot matter; the prefix is matched exactly.
                let id = CommunicationIdentifier::from_raw_id("4:+14255550123");
                assert_eq!(id.kind().as_str(), "phoneNumber");
                assert_eq!(
                    CommunicationIdentifier::from_raw_id("4+14255550123")
                        .kind()
                        .as_str(),
                    "unknown"
                );
            }
            "anonymous teams user cloud" => {
                let CommunicationIdentifier::MicrosoftTeamsUser(user) =
                    CommunicationIdentifier::from_raw_id("8:teamsvisitor:45ab2481")
                else {
                    panic!("a Teams user");
                };
                assert!(user.is_anonymous());
                assert_eq!(user.cloud(), CommunicationCloudEnvironment::Public);
            }
            "8:acs:{a}_{b}_{c}" => {
                let id = CommunicationIdentifier::from_raw_id("8:acs:a_b_c");
                assert_eq!(id.kind().as_str(), string(topic, "current"));
            }
            "phone asserted id trailing '_'" => {
                let phone = PhoneNumberIdentifier::new("+14255550123_");
                assert_eq!(phone.asserted_id(), None);
                assert_eq!(phone.asserted_id(), None);
            }
            other => panic!("a divergence this test does not handle: {other}"),
        }
    }
}
