//! The command dictionary (PS3.7 E.1), the Command Field values and, per
//! command, which elements are mandatory and which may be present
//! (PS3.7 chapters 9 and 10, read practically: see `CommandField::mandatory`).

/// The Command Field values of PS3.7 chapters 9 and 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum CommandField {
    CStoreRq = 0x0001,
    CStoreRsp = 0x8001,
    CGetRq = 0x0010,
    CGetRsp = 0x8010,
    CFindRq = 0x0020,
    CFindRsp = 0x8020,
    CMoveRq = 0x0021,
    CMoveRsp = 0x8021,
    CEchoRq = 0x0030,
    CEchoRsp = 0x8030,
    NEventReportRq = 0x0100,
    NEventReportRsp = 0x8100,
    NGetRq = 0x0110,
    NGetRsp = 0x8110,
    NSetRq = 0x0120,
    NSetRsp = 0x8120,
    NActionRq = 0x0130,
    NActionRsp = 0x8130,
    NCreateRq = 0x0140,
    NCreateRsp = 0x8140,
    NDeleteRq = 0x0150,
    NDeleteRsp = 0x8150,
    CCancelRq = 0x0FFF,
}

impl CommandField {
    /// Every command field, requests and responses.
    pub const ALL: [CommandField; 23] = [
        CommandField::CStoreRq,
        CommandField::CStoreRsp,
        CommandField::CGetRq,
        CommandField::CGetRsp,
        CommandField::CFindRq,
        CommandField::CFindRsp,
        CommandField::CMoveRq,
        CommandField::CMoveRsp,
        CommandField::CEchoRq,
        CommandField::CEchoRsp,
        CommandField::NEventReportRq,
        CommandField::NEventReportRsp,
        CommandField::NGetRq,
        CommandField::NGetRsp,
        CommandField::NSetRq,
        CommandField::NSetRsp,
        CommandField::NActionRq,
        CommandField::NActionRsp,
        CommandField::NCreateRq,
        CommandField::NCreateRsp,
        CommandField::NDeleteRq,
        CommandField::NDeleteRsp,
        CommandField::CCancelRq,
    ];

    /// The command for a raw (0000,0100) value, if DIMSE defines it.
    pub fn from_u16(value: u16) -> Option<Self> {
        use CommandField::*;
        Some(match value {
            0x0001 => CStoreRq,
            0x8001 => CStoreRsp,
            0x0010 => CGetRq,
            0x8010 => CGetRsp,
            0x0020 => CFindRq,
            0x8020 => CFindRsp,
            0x0021 => CMoveRq,
            0x8021 => CMoveRsp,
            0x0030 => CEchoRq,
            0x8030 => CEchoRsp,
            0x0100 => NEventReportRq,
            0x8100 => NEventReportRsp,
            0x0110 => NGetRq,
            0x8110 => NGetRsp,
            0x0120 => NSetRq,
            0x8120 => NSetRsp,
            0x0130 => NActionRq,
            0x8130 => NActionRsp,
            0x0140 => NCreateRq,
            0x8140 => NCreateRsp,
            0x0150 => NDeleteRq,
            0x8150 => NDeleteRsp,
            0x0FFF => CCancelRq,
            _ => return None,
        })
    }

    /// The raw (0000,0100) value.
    pub fn value(self) -> u16 {
        self as u16
    }

    /// The message name as PS3.7 writes it, e.g. "C-STORE-RQ".
    pub fn name(self) -> &'static str {
        use CommandField::*;
        match self {
            CStoreRq => "C-STORE-RQ",
            CStoreRsp => "C-STORE-RSP",
            CGetRq => "C-GET-RQ",
            CGetRsp => "C-GET-RSP",
            CFindRq => "C-FIND-RQ",
            CFindRsp => "C-FIND-RSP",
            CMoveRq => "C-MOVE-RQ",
            CMoveRsp => "C-MOVE-RSP",
            CEchoRq => "C-ECHO-RQ",
            CEchoRsp => "C-ECHO-RSP",
            NEventReportRq => "N-EVENT-REPORT-RQ",
            NEventReportRsp => "N-EVENT-REPORT-RSP",
            NGetRq => "N-GET-RQ",
            NGetRsp => "N-GET-RSP",
            NSetRq => "N-SET-RQ",
            NSetRsp => "N-SET-RSP",
            NActionRq => "N-ACTION-RQ",
            NActionRsp => "N-ACTION-RSP",
            NCreateRq => "N-CREATE-RQ",
            NCreateRsp => "N-CREATE-RSP",
            NDeleteRq => "N-DELETE-RQ",
            NDeleteRsp => "N-DELETE-RSP",
            CCancelRq => "C-CANCEL-RQ",
        }
    }

    /// Responses have bit 15 set; C-CANCEL-RQ (0x0FFF) is a request.
    pub fn is_response(self) -> bool {
        self.value() & 0x8000 != 0
    }

    /// The elements every sane peer sends with this command, Command Group
    /// Length included. PS3.7 marks several response elements U(=) or C;
    /// only what the exchange cannot work without is mandatory here.
    pub fn mandatory(self) -> ElementSet {
        use CommandField::*;
        use Element as E;
        let base = if self.is_response() {
            ElementSet::of(&[
                E::GroupLength,
                E::CommandField,
                E::MessageIdBeingRespondedTo,
                E::CommandDataSetType,
                E::Status,
            ])
        } else if self == CCancelRq {
            ElementSet::of(&[
                E::GroupLength,
                E::CommandField,
                E::MessageIdBeingRespondedTo,
                E::CommandDataSetType,
            ])
        } else {
            ElementSet::of(&[
                E::GroupLength,
                E::CommandField,
                E::MessageId,
                E::CommandDataSetType,
            ])
        };
        let extra: &[Element] = match self {
            CStoreRq => &[
                E::AffectedSopClassUid,
                E::AffectedSopInstanceUid,
                E::Priority,
            ],
            CFindRq | CGetRq => &[E::AffectedSopClassUid, E::Priority],
            CMoveRq => &[E::AffectedSopClassUid, E::Priority, E::MoveDestination],
            CEchoRq | NCreateRq => &[E::AffectedSopClassUid],
            NEventReportRq => &[
                E::AffectedSopClassUid,
                E::AffectedSopInstanceUid,
                E::EventTypeId,
            ],
            NGetRq | NSetRq | NDeleteRq => &[E::RequestedSopClassUid, E::RequestedSopInstanceUid],
            NActionRq => &[
                E::RequestedSopClassUid,
                E::RequestedSopInstanceUid,
                E::ActionTypeId,
            ],
            _ => &[],
        };
        base.union(ElementSet::of(extra))
    }

    /// The mandatory elements without which the message is not delivered at
    /// all. For a response or a C-CANCEL-RQ, every mandatory one: nothing
    /// could carry a failure status back. For any other request, only what
    /// its answer needs: Message ID (echoed in the response) and Command Data
    /// Set Type (whether a data set follows), with Group Length and Command
    /// Field; a request lacking only service-specific elements is delivered,
    /// and `CommandSet::missing_elements` names them for the caller to refuse.
    pub fn essential(self) -> ElementSet {
        use Element as E;
        if self.is_response() || self == CommandField::CCancelRq {
            return self.mandatory();
        }
        ElementSet::of(&[
            E::GroupLength,
            E::CommandField,
            E::MessageId,
            E::CommandDataSetType,
        ])
    }

    /// Every element this command may carry: the mandatory ones, PS3.7's
    /// U and C elements, and what pynetdicom and DCMTK send besides (every
    /// response may carry Affected SOP Class UID and the status elements
    /// of PS3.7 Annex C: Offending Element, Error Comment, Error ID).
    pub fn allowed(self) -> ElementSet {
        use CommandField::*;
        use Element as E;
        let status_elements = ElementSet::of(&[
            E::AffectedSopClassUid,
            E::OffendingElement,
            E::ErrorComment,
            E::ErrorId,
        ]);
        let suboperations: &[Element] = &[
            E::NumberOfRemainingSuboperations,
            E::NumberOfCompletedSuboperations,
            E::NumberOfFailedSuboperations,
            E::NumberOfWarningSuboperations,
        ];
        let extra = match self {
            CStoreRq => ElementSet::of(&[
                E::MoveOriginatorApplicationEntityTitle,
                E::MoveOriginatorMessageId,
            ]),
            NGetRq => ElementSet::of(&[E::AttributeIdentifierList]),
            NCreateRq => ElementSet::of(&[E::AffectedSopInstanceUid]),
            CStoreRsp | NDeleteRsp => {
                status_elements.union(ElementSet::of(&[E::AffectedSopInstanceUid]))
            }
            CFindRsp | CEchoRsp => status_elements,
            CGetRsp | CMoveRsp => status_elements.union(ElementSet::of(suboperations)),
            NEventReportRsp => {
                status_elements.union(ElementSet::of(&[E::AffectedSopInstanceUid, E::EventTypeId]))
            }
            NActionRsp => status_elements.union(ElementSet::of(&[
                E::AffectedSopInstanceUid,
                E::ActionTypeId,
            ])),
            NGetRsp | NSetRsp | NCreateRsp => status_elements.union(ElementSet::of(&[
                E::AffectedSopInstanceUid,
                E::AttributeIdentifierList,
            ])),
            _ => ElementSet::EMPTY,
        };
        self.mandatory().union(extra)
    }
}

/// The command elements PS3.7 E.1 defines (retired ones excluded), in tag order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Element {
    GroupLength,
    AffectedSopClassUid,
    RequestedSopClassUid,
    CommandField,
    MessageId,
    MessageIdBeingRespondedTo,
    MoveDestination,
    Priority,
    CommandDataSetType,
    Status,
    OffendingElement,
    ErrorComment,
    ErrorId,
    AffectedSopInstanceUid,
    RequestedSopInstanceUid,
    EventTypeId,
    AttributeIdentifierList,
    ActionTypeId,
    NumberOfRemainingSuboperations,
    NumberOfCompletedSuboperations,
    NumberOfFailedSuboperations,
    NumberOfWarningSuboperations,
    MoveOriginatorApplicationEntityTitle,
    MoveOriginatorMessageId,
}

/// Value representations of the command dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vr {
    /// Unsigned long, 4 bytes.
    UL,
    /// Unsigned short, 2 bytes.
    US,
    /// UID, NUL padded to even length.
    UI,
    /// Application entity title, space padded to even length, 16 at most.
    AE,
    /// Long string, space padded to even length, 64 at most.
    LO,
    /// Attribute tags, pairs of u16 (group, element).
    AT,
}

impl Element {
    /// All elements in ascending tag order.
    pub const ALL: [Element; 24] = [
        Element::GroupLength,
        Element::AffectedSopClassUid,
        Element::RequestedSopClassUid,
        Element::CommandField,
        Element::MessageId,
        Element::MessageIdBeingRespondedTo,
        Element::MoveDestination,
        Element::Priority,
        Element::CommandDataSetType,
        Element::Status,
        Element::OffendingElement,
        Element::ErrorComment,
        Element::ErrorId,
        Element::AffectedSopInstanceUid,
        Element::RequestedSopInstanceUid,
        Element::EventTypeId,
        Element::AttributeIdentifierList,
        Element::ActionTypeId,
        Element::NumberOfRemainingSuboperations,
        Element::NumberOfCompletedSuboperations,
        Element::NumberOfFailedSuboperations,
        Element::NumberOfWarningSuboperations,
        Element::MoveOriginatorApplicationEntityTitle,
        Element::MoveOriginatorMessageId,
    ];

    /// The element for a tag (group << 16 | element), if PS3.7 E.1 defines it.
    #[inline]
    pub fn from_tag(tag: u32) -> Option<Element> {
        use Element::*;
        Some(match tag {
            0x0000_0000 => GroupLength,
            0x0000_0002 => AffectedSopClassUid,
            0x0000_0003 => RequestedSopClassUid,
            0x0000_0100 => CommandField,
            0x0000_0110 => MessageId,
            0x0000_0120 => MessageIdBeingRespondedTo,
            0x0000_0600 => MoveDestination,
            0x0000_0700 => Priority,
            0x0000_0800 => CommandDataSetType,
            0x0000_0900 => Status,
            0x0000_0901 => OffendingElement,
            0x0000_0902 => ErrorComment,
            0x0000_0903 => ErrorId,
            0x0000_1000 => AffectedSopInstanceUid,
            0x0000_1001 => RequestedSopInstanceUid,
            0x0000_1002 => EventTypeId,
            0x0000_1005 => AttributeIdentifierList,
            0x0000_1008 => ActionTypeId,
            0x0000_1020 => NumberOfRemainingSuboperations,
            0x0000_1021 => NumberOfCompletedSuboperations,
            0x0000_1022 => NumberOfFailedSuboperations,
            0x0000_1023 => NumberOfWarningSuboperations,
            0x0000_1030 => MoveOriginatorApplicationEntityTitle,
            0x0000_1031 => MoveOriginatorMessageId,
            _ => return None,
        })
    }

    /// The tag as (group << 16 | element).
    pub fn tag(self) -> u32 {
        use Element::*;
        match self {
            GroupLength => 0x0000_0000,
            AffectedSopClassUid => 0x0000_0002,
            RequestedSopClassUid => 0x0000_0003,
            CommandField => 0x0000_0100,
            MessageId => 0x0000_0110,
            MessageIdBeingRespondedTo => 0x0000_0120,
            MoveDestination => 0x0000_0600,
            Priority => 0x0000_0700,
            CommandDataSetType => 0x0000_0800,
            Status => 0x0000_0900,
            OffendingElement => 0x0000_0901,
            ErrorComment => 0x0000_0902,
            ErrorId => 0x0000_0903,
            AffectedSopInstanceUid => 0x0000_1000,
            RequestedSopInstanceUid => 0x0000_1001,
            EventTypeId => 0x0000_1002,
            AttributeIdentifierList => 0x0000_1005,
            ActionTypeId => 0x0000_1008,
            NumberOfRemainingSuboperations => 0x0000_1020,
            NumberOfCompletedSuboperations => 0x0000_1021,
            NumberOfFailedSuboperations => 0x0000_1022,
            NumberOfWarningSuboperations => 0x0000_1023,
            MoveOriginatorApplicationEntityTitle => 0x0000_1030,
            MoveOriginatorMessageId => 0x0000_1031,
        }
    }

    /// The field name used in errors: tag and PS3.7 E.1 name.
    pub fn name(self) -> &'static str {
        use Element::*;
        match self {
            GroupLength => "(0000,0000) Command Group Length",
            AffectedSopClassUid => "(0000,0002) Affected SOP Class UID",
            RequestedSopClassUid => "(0000,0003) Requested SOP Class UID",
            CommandField => "(0000,0100) Command Field",
            MessageId => "(0000,0110) Message ID",
            MessageIdBeingRespondedTo => "(0000,0120) Message ID Being Responded To",
            MoveDestination => "(0000,0600) Move Destination",
            Priority => "(0000,0700) Priority",
            CommandDataSetType => "(0000,0800) Command Data Set Type",
            Status => "(0000,0900) Status",
            OffendingElement => "(0000,0901) Offending Element",
            ErrorComment => "(0000,0902) Error Comment",
            ErrorId => "(0000,0903) Error ID",
            AffectedSopInstanceUid => "(0000,1000) Affected SOP Instance UID",
            RequestedSopInstanceUid => "(0000,1001) Requested SOP Instance UID",
            EventTypeId => "(0000,1002) Event Type ID",
            AttributeIdentifierList => "(0000,1005) Attribute Identifier List",
            ActionTypeId => "(0000,1008) Action Type ID",
            NumberOfRemainingSuboperations => "(0000,1020) Number of Remaining Sub-operations",
            NumberOfCompletedSuboperations => "(0000,1021) Number of Completed Sub-operations",
            NumberOfFailedSuboperations => "(0000,1022) Number of Failed Sub-operations",
            NumberOfWarningSuboperations => "(0000,1023) Number of Warning Sub-operations",
            MoveOriginatorApplicationEntityTitle => {
                "(0000,1030) Move Originator Application Entity Title"
            }
            MoveOriginatorMessageId => "(0000,1031) Move Originator Message ID",
        }
    }

    /// The element's value representation (PS3.7 E.1).
    pub fn vr(self) -> Vr {
        use Element::*;
        match self {
            GroupLength => Vr::UL,
            AffectedSopClassUid
            | RequestedSopClassUid
            | AffectedSopInstanceUid
            | RequestedSopInstanceUid => Vr::UI,
            MoveDestination | MoveOriginatorApplicationEntityTitle => Vr::AE,
            ErrorComment => Vr::LO,
            OffendingElement | AttributeIdentifierList => Vr::AT,
            _ => Vr::US,
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u8)
    }
}

/// A set of command elements, as a bit mask (one bit per `Element`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ElementSet(u32);

impl ElementSet {
    pub const EMPTY: ElementSet = ElementSet(0);

    /// The set of the given elements.
    pub fn of(elements: &[Element]) -> ElementSet {
        ElementSet(elements.iter().fold(0, |mask, e| mask | e.bit()))
    }

    pub fn contains(self, element: Element) -> bool {
        self.0 & element.bit() != 0
    }

    pub fn insert(&mut self, element: Element) {
        self.0 |= element.bit();
    }

    pub fn union(self, other: ElementSet) -> ElementSet {
        ElementSet(self.0 | other.0)
    }

    /// Elements in `self` but not in `other`.
    pub fn difference(self, other: ElementSet) -> ElementSet {
        ElementSet(self.0 & !other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The elements, in ascending tag order.
    pub fn iter(self) -> impl Iterator<Item = Element> {
        Element::ALL.into_iter().filter(move |e| self.contains(*e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_fields_round_trip_through_u16() {
        for field in CommandField::ALL {
            assert_eq!(CommandField::from_u16(field.value()), Some(field));
        }
        assert_eq!(CommandField::from_u16(0x1234), None);
    }

    #[test]
    fn elements_are_listed_in_tag_order() {
        for pair in Element::ALL.windows(2) {
            assert!(pair[0].tag() < pair[1].tag());
        }
        for element in Element::ALL {
            assert_eq!(Element::from_tag(element.tag()), Some(element));
        }
    }

    #[test]
    fn essential_elements_are_mandatory_and_only_requests_may_lack_others() {
        for field in CommandField::ALL {
            assert!(field.essential().difference(field.mandatory()).is_empty());
            let optional_to_deliver = !field.mandatory().difference(field.essential()).is_empty();
            let request = !field.is_response() && field != CommandField::CCancelRq;
            // C-ECHO-RQ and every other request has a service-specific element.
            assert_eq!(optional_to_deliver, request, "{}", field.name());
        }
    }

    #[test]
    fn mandatory_elements_are_allowed() {
        for field in CommandField::ALL {
            assert!(field.mandatory().difference(field.allowed()).is_empty());
            assert_eq!(field.is_response(), field.name().ends_with("-RSP"));
        }
    }
}
