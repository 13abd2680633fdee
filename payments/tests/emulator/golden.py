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
