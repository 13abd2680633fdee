"""Field sets of real Asaas sandbox responses (captured 2026-07-14, public data)."""

from __future__ import annotations

CUSTOMER_KEYS = {
    "object", "id", "dateCreated", "name", "email", "company", "phone", "mobilePhone", "address",
    "addressNumber", "complement", "province", "postalCode", "cpfCnpj", "personType", "deleted",
    "additionalEmails", "externalReference", "notificationDisabled", "observations",
    "municipalInscription", "stateInscription", "canDelete", "cannotBeDeletedReason", "canEdit",
    "cannotEditReason", "city", "cityName", "state", "country",
}  # fmt: skip

PIX_PAYMENT_KEYS = {
    "object", "id", "dateCreated", "customer", "checkoutSession", "paymentLink", "value",
    "netValue", "originalValue", "interestValue", "description", "billingType", "pixTransaction",
    "status", "dueDate", "originalDueDate", "paymentDate", "clientPaymentDate",
    "installmentNumber", "invoiceUrl", "invoiceNumber", "externalReference", "deleted",
    "anticipated", "anticipable", "creditDate", "estimatedCreditDate", "transactionReceiptUrl",
    "nossoNumero", "bankSlipUrl", "lastInvoiceViewedDate", "lastBankSlipViewedDate", "discount",
    "fine", "interest", "postalService", "escrow", "refunds",
}  # fmt: skip

CARD_PAYMENT_KEYS = PIX_PAYMENT_KEYS | {"confirmedDate", "creditCard"}
BOLETO_PAYMENT_KEYS = PIX_PAYMENT_KEYS | {"canBePaidAfterDueDate"}

# Card payments captured in the sandbox (public probes, 2026-07-14): approved numbers answer
# CONFIRMED with the masked card; these two answer 400 with exactly this error.
APPROVED_CARDS = {
    "5162306219378829": ("8829", "MASTERCARD"),
    "4444444444444444": ("4444", "VISA"),
    "4111111111111111": ("1111", "VISA"),
}
DECLINED_CARDS = ("5184019740373151", "4916561358240741")
DECLINE_ERROR = {
    "code": "invalid_action",
    "description": "Transação não autorizada. Verifique os dados do cartão de crédito e tente "
    "novamente.",
}
CARD_CONFIRMED_DATES = {"created": "2026-07-14", "creditDate": "2026-08-17"}
