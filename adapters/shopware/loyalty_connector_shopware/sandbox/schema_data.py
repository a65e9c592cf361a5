"""Field lists of the Shopware entities the sandbox serves (data only; read by :mod:`.schema`).

Generated from the DAL entity schema of Shopware 6.5.8.13 and from real serialized records:
``keys`` is the output key order of one record (as the Admin API JSON encoder writes it), ``fields``
the stored fields as ``name:type`` with marks ``!`` required on create, ``#`` primary key, ``~`` write
protected, ``*`` translatable; ``assocs`` each association as
``name>kind>entity>localField>referenceField[>mapping>mappingLocal>mappingReference]``.
"""

from __future__ import annotations

__all__ = ["ENTITY_SPECS"]

ENTITY_SPECS: dict[str, tuple[str, str, str]] = {
    "country": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt name iso position "
        "active shippingAvailable iso3 displayStateInRegistration forceStateInRegistration "
        "checkVatIdPattern vatIdPattern vatIdRequired customerTax companyTax states translations "
        "orderAddresses customerAddresses salesChannelDefaultAssignments salesChannels taxRules "
        "currencyCountryRoundings postalCodeRequired checkPostalCodePattern "
        "checkAdvancedPostalCodePattern advancedPostalCodePattern defaultPostalCodePattern "
        "addressFormat id customFields apiAlias",
        "id:uuid# createdAt:date updatedAt:date name:str iso:str position:int active:bool "
        "shippingAvailable:bool iso3:str displayStateInRegistration:bool "
        "forceStateInRegistration:bool checkVatIdPattern:bool vatIdPattern:str vatIdRequired:bool "
        "customerTax:json companyTax:json postalCodeRequired:bool checkPostalCodePattern:bool "
        "checkAdvancedPostalCodePattern:bool advancedPostalCodePattern:str "
        "defaultPostalCodePattern:str addressFormat:list customFields:json",
        "states>o2m>x>id>countryId translations>o2m>x>id>countryId "
        "orderAddresses>o2m>x>id>countryId customerAddresses>o2m>x>id>countryId "
        "salesChannelDefaultAssignments>o2m>x>id>countryId taxRules>o2m>x>id>countryId "
        "currencyCountryRoundings>o2m>x>id>countryId "
        "salesChannels>m2m>sales_channel>id>id>sales_channel_country>countryId>salesChannelId",
    ),
    "currency": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt isoCode factor "
        "symbol shortName name position translations orders salesChannels "
        "salesChannelDefaultAssignments salesChannelDomains promotionDiscountPrices isSystemDefault "
        "productExports countryRoundings itemRounding totalRounding taxFreeFrom id customFields "
        "apiAlias",
        "id:uuid# factor:float! symbol:str! isoCode:str! shortName:str!* name:str!* position:int "
        "isSystemDefault:bool taxFreeFrom:float customFields:json* itemRounding:json! "
        "totalRounding:json! createdAt:date updatedAt:date",
        "translations>o2m>currency_translation>id>currencyId "
        "salesChannelDefaultAssignments>o2m>sales_channel>id>currencyId "
        "orders>o2m>order>id>currencyId "
        "salesChannels>m2m>sales_channel>id>id>sales_channel_currency>currencyId>salesChannelId "
        "salesChannelDomains>o2m>sales_channel_domain>id>currencyId "
        "promotionDiscountPrices>o2m>promotion_discount_prices>id>currencyId "
        "productExports>o2m>product_export>id>currencyId "
        "countryRoundings>o2m>currency_country_rounding>id>currencyId",
    ),
    "customer": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt groupId "
        "defaultPaymentMethodId salesChannelId languageId lastPaymentMethodId "
        "defaultBillingAddressId defaultShippingAddressId customerNumber salutationId firstName "
        "lastName company email title vatIds affiliateCode campaignCode active "
        "doubleOptInRegistration doubleOptInEmailSentDate doubleOptInConfirmDate hash guest "
        "firstLogin lastLogin accountType birthday lastOrderDate orderCount orderTotalAmount "
        "reviewCount group defaultPaymentMethod salesChannel language lastPaymentMethod salutation "
        "defaultBillingAddress defaultShippingAddress activeBillingAddress activeShippingAddress "
        "addresses orderCustomers autoIncrement tags tagIds promotions recoveryCustomer "
        "productReviews remoteAddress requestedGroupId requestedGroup boundSalesChannelId "
        "boundSalesChannel wishlists createdById createdBy updatedById updatedBy id customFields "
        "apiAlias",
        "id:uuid# groupId:uuid! salesChannelId:uuid! languageId:uuid! lastPaymentMethodId:uuid "
        "defaultBillingAddressId:uuid! defaultShippingAddressId:uuid! autoIncrement:int~ "
        "customerNumber:str! salutationId:uuid firstName:str! lastName:str! company:str email:str! "
        "title:str vatIds:list affiliateCode:str campaignCode:str active:bool "
        "doubleOptInRegistration:bool doubleOptInEmailSentDate:date doubleOptInConfirmDate:date "
        "hash:str guest:bool firstLogin:date lastLogin:date birthday:date lastOrderDate:date~ "
        "orderCount:int~ orderTotalAmount:float~ reviewCount:int~ customFields:json "
        "remoteAddress:str tagIds:list~ requestedGroupId:uuid boundSalesChannelId:uuid "
        "accountType:str! createdById:uuid updatedById:uuid defaultPaymentMethodId:uuid! "
        "createdAt:date updatedAt:date",
        "group>m21>customer_group>groupId>id salesChannel>m21>sales_channel>salesChannelId>id "
        "language>m21>language>languageId>id "
        "lastPaymentMethod>m21>payment_method>lastPaymentMethodId>id "
        "defaultBillingAddress>m21>customer_address>defaultBillingAddressId>id "
        "activeBillingAddress>m21>customer_address>>id "
        "defaultShippingAddress>m21>customer_address>defaultShippingAddressId>id "
        "activeShippingAddress>m21>customer_address>>id salutation>m21>salutation>salutationId>id "
        "addresses>o2m>customer_address>id>customerId "
        "orderCustomers>o2m>order_customer>id>customerId "
        "tags>m2m>tag>id>id>customer_tag>customerId>tagId "
        "promotions>m2m>promotion>id>id>promotion_persona_customer>customerId>promotionId "
        "productReviews>o2m>product_review>id>customerId "
        "recoveryCustomer>o2o>customer_recovery>id>customerId "
        "requestedGroup>m21>customer_group>requestedGroupId>id "
        "boundSalesChannel>m21>sales_channel>boundSalesChannelId>id "
        "wishlists>o2m>customer_wishlist>id>customerId createdBy>m21>user>createdById>id "
        "updatedBy>m21>user>updatedById>id "
        "defaultPaymentMethod>m21>payment_method>defaultPaymentMethodId>id",
    ),
    "customer_address": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt customerId countryId "
        "countryStateId salutationId firstName lastName zipcode city company street department "
        "title phoneNumber additionalAddressLine1 additionalAddressLine2 customer country "
        "countryState salutation id customFields apiAlias",
        "id:uuid# customerId:uuid! countryId:uuid! countryStateId:uuid salutationId:uuid "
        "firstName:str! lastName:str! zipcode:str city:str! company:str street:str! department:str "
        "title:str phoneNumber:str additionalAddressLine1:str additionalAddressLine2:str "
        "customFields:json createdAt:date updatedAt:date",
        "customer>m21>customer>customerId>id country>m21>country>countryId>id "
        "countryState>m21>country_state>countryStateId>id salutation>m21>salutation>salutationId>id",
    ),
    "customer_group": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt name displayGross "
        "registrationActive registrationTitle registrationIntroduction "
        "registrationOnlyCompanyRegistration registrationSeoMetaDescription customers salesChannels "
        "translations registrationSalesChannels id customFields apiAlias",
        "id:uuid# name:str!* displayGross:bool customFields:json* registrationActive:bool "
        "registrationTitle:str* registrationIntroduction:str* "
        "registrationOnlyCompanyRegistration:bool* registrationSeoMetaDescription:str* "
        "createdAt:date updatedAt:date",
        "customers>o2m>customer>id>groupId salesChannels>o2m>sales_channel>id>customerGroupId "
        "translations>o2m>customer_group_translation>id>customerGroupId "
        "registrationSalesChannels>m2m>sales_channel>id>id>customer_group_registration_sales_channe"
        "ls>customerGroupId>salesChannelId",
    ),
    "customer_tag": (
        "customerId tagId customer tag extensions apiAlias",
        "customerId:uuid# tagId:uuid#",
        "customer>m21>customer>customerId>id tag>m21>tag>tagId>id",
    ),
    "language": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt parentId localeId "
        "translationCodeId translationCode name locale parent children salesChannels customers "
        "salesChannelDefaultAssignments categoryTranslations countryStateTranslations "
        "countryTranslations currencyTranslations customerGroupTranslations localeTranslations "
        "mediaTranslations paymentMethodTranslations productManufacturerTranslations "
        "productTranslations shippingMethodTranslations unitTranslations propertyGroupTranslations "
        "propertyGroupOptionTranslations salesChannelTranslations salesChannelTypeTranslations "
        "salutationTranslations salesChannelDomains pluginTranslations productStreamTranslations "
        "stateMachineTranslations stateMachineStateTranslations cmsPageTranslations "
        "cmsSlotTranslations mailTemplateTranslations mailHeaderFooterTranslations "
        "documentTypeTranslations deliveryTimeTranslations newsletterRecipients orders "
        "numberRangeTypeTranslations productSearchKeywords productKeywordDictionaries "
        "mailTemplateTypeTranslations promotionTranslations numberRangeTranslations productReviews "
        "seoUrlTranslations taxRuleTypeTranslations productCrossSellingTranslations "
        "importExportProfileTranslations productFeatureSetTranslations appTranslations "
        "actionButtonTranslations productSortingTranslations productSearchConfig "
        "landingPageTranslations appCmsBlockTranslations appScriptConditionTranslations "
        "appFlowActionTranslations taxProviderTranslations id customFields apiAlias",
        "id:uuid# createdAt:date updatedAt:date parentId:uuid localeId:uuid translationCodeId:uuid "
        "name:str customFields:json",
        "versionId>o2m>x>id>languageId translationCode>m21>locale>translationCodeId>id "
        "locale>m21>locale>localeId>id parent>m21>language>parentId>id "
        "children>o2m>language>id>parentId salesChannels>o2m>x>id>languageId "
        "customers>o2m>x>id>languageId salesChannelDefaultAssignments>o2m>x>id>languageId "
        "categoryTranslations>o2m>x>id>languageId countryStateTranslations>o2m>x>id>languageId "
        "countryTranslations>o2m>x>id>languageId currencyTranslations>o2m>x>id>languageId "
        "customerGroupTranslations>o2m>x>id>languageId localeTranslations>o2m>x>id>languageId "
        "mediaTranslations>o2m>x>id>languageId paymentMethodTranslations>o2m>x>id>languageId "
        "productManufacturerTranslations>o2m>x>id>languageId "
        "productTranslations>o2m>x>id>languageId shippingMethodTranslations>o2m>x>id>languageId "
        "unitTranslations>o2m>x>id>languageId propertyGroupTranslations>o2m>x>id>languageId "
        "propertyGroupOptionTranslations>o2m>x>id>languageId "
        "salesChannelTranslations>o2m>x>id>languageId "
        "salesChannelTypeTranslations>o2m>x>id>languageId "
        "salutationTranslations>o2m>x>id>languageId salesChannelDomains>o2m>x>id>languageId "
        "pluginTranslations>o2m>x>id>languageId productStreamTranslations>o2m>x>id>languageId "
        "stateMachineTranslations>o2m>x>id>languageId "
        "stateMachineStateTranslations>o2m>x>id>languageId cmsPageTranslations>o2m>x>id>languageId "
        "cmsSlotTranslations>o2m>x>id>languageId mailTemplateTranslations>o2m>x>id>languageId "
        "mailHeaderFooterTranslations>o2m>x>id>languageId "
        "documentTypeTranslations>o2m>x>id>languageId deliveryTimeTranslations>o2m>x>id>languageId "
        "newsletterRecipients>o2m>x>id>languageId orders>o2m>x>id>languageId "
        "numberRangeTypeTranslations>o2m>x>id>languageId productSearchKeywords>o2m>x>id>languageId "
        "productKeywordDictionaries>o2m>x>id>languageId "
        "mailTemplateTypeTranslations>o2m>x>id>languageId promotionTranslations>o2m>x>id>languageId "
        "numberRangeTranslations>o2m>x>id>languageId productReviews>o2m>x>id>languageId "
        "seoUrlTranslations>o2m>x>id>languageId taxRuleTypeTranslations>o2m>x>id>languageId "
        "productCrossSellingTranslations>o2m>x>id>languageId "
        "importExportProfileTranslations>o2m>x>id>languageId "
        "productFeatureSetTranslations>o2m>x>id>languageId appTranslations>o2m>x>id>languageId "
        "actionButtonTranslations>o2m>x>id>languageId "
        "productSortingTranslations>o2m>x>id>languageId productSearchConfig>o2m>x>id>languageId "
        "landingPageTranslations>o2m>x>id>languageId appCmsBlockTranslations>o2m>x>id>languageId "
        "appScriptConditionTranslations>o2m>x>id>languageId "
        "appFlowActionTranslations>o2m>x>id>languageId taxProviderTranslations>o2m>x>id>languageId",
    ),
    "order": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt orderNumber "
        "currencyId currencyFactor salesChannelId billingAddressId billingAddressVersionId "
        "orderDateTime orderDate price amountTotal amountNet positionPrice taxStatus shippingCosts "
        "shippingTotal orderCustomer currency languageId language salesChannel addresses "
        "billingAddress deliveries lineItems transactions deepLinkCode autoIncrement "
        "stateMachineState stateId documents tags affiliateCode campaignCode customerComment "
        "ruleIds createdById createdBy updatedById updatedBy itemRounding totalRounding id "
        "customFields apiAlias",
        "id:uuid# versionId:uuid# autoIncrement:int~ orderNumber:str billingAddressId:uuid! "
        "billingAddressVersionId:uuid! currencyId:uuid! languageId:uuid! salesChannelId:uuid! "
        "orderDateTime:date! orderDate:date~ price:json amountTotal:float~ amountNet:float~ "
        "positionPrice:float~ taxStatus:str~ shippingCosts:json shippingTotal:float~ "
        "currencyFactor:float! deepLinkCode:str affiliateCode:str campaignCode:str "
        "customerComment:str stateId:uuid! ruleIds:list customFields:json createdById:uuid "
        "updatedById:uuid itemRounding:json! totalRounding:json! createdAt:date updatedAt:date",
        "stateMachineState>m21>state_machine_state>stateId>id "
        "orderCustomer>o2o>order_customer>id>orderId currency>m21>currency>currencyId>id "
        "language>m21>language>languageId>id salesChannel>m21>sales_channel>salesChannelId>id "
        "addresses>o2m>order_address>id>orderId "
        "billingAddress>m21>order_address>billingAddressId>id "
        "deliveries>o2m>order_delivery>id>orderId lineItems>o2m>order_line_item>id>orderId "
        "transactions>o2m>order_transaction>id>orderId documents>o2m>document>id>orderId "
        "tags>m2m>tag>id>id>order_tag>orderId>tagId createdBy>m21>user>createdById>id "
        "updatedBy>m21>user>updatedById>id",
    ),
    "order_address": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt countryId "
        "countryStateId salutationId firstName lastName street zipcode city company department "
        "title vatId phoneNumber additionalAddressLine1 additionalAddressLine2 country countryState "
        "order salutation orderDeliveries orderId orderVersionId id customFields apiAlias",
        "id:uuid# versionId:uuid# countryId:uuid! countryStateId:uuid orderId:uuid! "
        "orderVersionId:uuid! salutationId:uuid firstName:str! lastName:str! street:str! "
        "zipcode:str city:str! company:str department:str title:str vatId:str phoneNumber:str "
        "additionalAddressLine1:str additionalAddressLine2:str customFields:json createdAt:date "
        "updatedAt:date",
        "country>m21>country>countryId>id countryState>m21>country_state>countryStateId>id "
        "order>m21>order>orderId>id orderDeliveries>o2m>order_delivery>id>shippingOrderAddressId "
        "salutation>m21>salutation>salutationId>id",
    ),
    "order_customer": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt email orderId "
        "salutationId firstName lastName title vatIds company customerNumber customerId customer "
        "salutation order remoteAddress orderVersionId id customFields apiAlias",
        "id:uuid# versionId:uuid# customerId:uuid orderId:uuid! orderVersionId:uuid! email:str! "
        "salutationId:uuid firstName:str! lastName:str! company:str title:str vatIds:list "
        "customerNumber:str customFields:json remoteAddress:str createdAt:date updatedAt:date",
        "order>o2o>order>orderId>id customer>m21>customer>customerId>id "
        "salutation>m21>salutation>salutationId>id",
    ),
    "order_delivery": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt orderId "
        "orderVersionId shippingOrderAddressId shippingOrderAddressVersionId shippingMethodId "
        "trackingCodes shippingDateEarliest shippingDateLatest shippingCosts shippingOrderAddress "
        "stateId stateMachineState shippingMethod order positions id customFields apiAlias",
        "id:uuid# versionId:uuid# orderId:uuid! orderVersionId:uuid! shippingOrderAddressId:uuid! "
        "shippingOrderAddressVersionId:uuid! shippingMethodId:uuid! stateId:uuid! "
        "trackingCodes:list! shippingDateEarliest:date! shippingDateLatest:date! shippingCosts:json "
        "customFields:json createdAt:date updatedAt:date",
        "stateMachineState>m21>state_machine_state>stateId>id order>m21>order>orderId>id "
        "shippingOrderAddress>m21>order_address>shippingOrderAddressId>id "
        "shippingMethod>m21>shipping_method>shippingMethodId>id "
        "positions>o2m>order_delivery_position>id>orderDeliveryId",
    ),
    "order_line_item": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt orderId identifier "
        "referencedId productId promotionId quantity unitPrice totalPrice label description good "
        "removable coverId stackable position price priceDefinition payload parentId parent type "
        "order orderDeliveryPositions cover children product orderTransactionCaptureRefundPositions "
        "states downloads promotion orderVersionId productVersionId parentVersionId id customFields "
        "apiAlias",
        "id:uuid# versionId:uuid# orderId:uuid! orderVersionId:uuid! productId:uuid "
        "productVersionId:uuid! promotionId:uuid parentId:uuid parentVersionId:uuid! coverId:uuid "
        "identifier:str! referencedId:str quantity:int! label:str! payload:json good:bool "
        "removable:bool stackable:bool position:int! states:list! price:json! priceDefinition:json "
        "unitPrice:float totalPrice:float description:str type:str customFields:json createdAt:date "
        "updatedAt:date",
        "cover>m21>media>coverId>id order>m21>order>orderId>id product>m21>product>productId>id "
        "promotion>m21>promotion>promotionId>id "
        "orderDeliveryPositions>o2m>order_delivery_position>id>orderLineItemId "
        "orderTransactionCaptureRefundPositions>o2m>order_transaction_capture_refund_position>id>or"
        "derLineItemId downloads>o2m>order_line_item_download>id>orderLineItemId "
        "parent>m21>order_line_item>parentId>id children>o2m>order_line_item>id>parentId",
    ),
    "order_tag": (
        "orderId orderVersionId tagId order tag extensions apiAlias",
        "orderId:uuid# orderVersionId:uuid# tagId:uuid#",
        "order>m21>order>orderId>id tag>m21>tag>tagId>id",
    ),
    "order_transaction": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt orderId "
        "orderVersionId paymentMethodId amount paymentMethod order stateMachineState stateId "
        "captures id customFields apiAlias",
        "id:uuid# versionId:uuid# orderId:uuid! orderVersionId:uuid! paymentMethodId:uuid! "
        "amount:json! stateId:uuid! customFields:json createdAt:date updatedAt:date",
        "stateMachineState>m21>state_machine_state>stateId>id order>m21>order>orderId>id "
        "paymentMethod>m21>payment_method>paymentMethodId>id "
        "captures>o2m>order_transaction_capture>id>orderTransactionId",
    ),
    "order_transaction_capture": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt orderTransactionId "
        "orderTransactionVersionId stateId externalReference amount stateMachineState transaction "
        "positions refunds id customFields apiAlias",
        "id:uuid# versionId:uuid# orderTransactionId:uuid! orderTransactionVersionId:uuid! "
        "stateId:uuid! externalReference:str amount:json! customFields:json createdAt:date "
        "updatedAt:date",
        "stateMachineState>m21>state_machine_state>stateId>id "
        "transaction>m21>order_transaction>orderTransactionId>id "
        "positions>o2m>order_transaction_capture_position>id>captureId "
        "refunds>o2m>order_transaction_capture_refund>id>captureId",
    ),
    "order_transaction_capture_refund": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt captureId "
        "captureVersionId stateId externalReference reason amount stateMachineState "
        "transactionCapture positions id customFields apiAlias",
        "id:uuid# versionId:uuid# captureId:uuid! captureVersionId:uuid! stateId:uuid! "
        "externalReference:str reason:str amount:json! customFields:json createdAt:date "
        "updatedAt:date",
        "stateMachineState>m21>state_machine_state>stateId>id "
        "transactionCapture>m21>order_transaction_capture>captureId>id "
        "positions>o2m>order_transaction_capture_refund_position>id>refundId",
    ),
    "order_transaction_capture_refund_position": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt refundId "
        "refundVersionId orderLineItemId orderLineItemVersionId externalReference reason quantity "
        "amount orderLineItem orderTransactionCaptureRefund id customFields apiAlias",
        "id:uuid# versionId:uuid# refundId:uuid! refundVersionId:uuid! orderLineItemId:uuid! "
        "orderLineItemVersionId:uuid! externalReference:str reason:str quantity:int! amount:json! "
        "customFields:json createdAt:date updatedAt:date",
        "orderLineItem>m21>order_line_item>orderLineItemId>id "
        "orderTransactionCaptureRefund>m21>order_transaction_capture_refund>refundId>id",
    ),
    "payment_method": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt pluginId "
        "handlerIdentifier name distinguishableName description position active afterOrderEnabled "
        "plugin translations orderTransactions customers salesChannelDefaultAssignments "
        "salesChannels availabilityRule availabilityRuleId mediaId media formattedHandlerIdentifier "
        "shortName appPaymentMethod synchronous asynchronous prepared refundable id customFields "
        "apiAlias",
        "id:uuid# createdAt:date updatedAt:date pluginId:uuid handlerIdentifier:str name:str "
        "distinguishableName:str description:str position:int active:bool afterOrderEnabled:bool "
        "availabilityRuleId:uuid mediaId:uuid formattedHandlerIdentifier:str shortName:str "
        "synchronous:bool asynchronous:bool prepared:bool refundable:bool customFields:json",
        "plugin>m21>plugin>pluginId>id "
        "translations>o2m>payment_method_translation>id>paymentMethodId "
        "orderTransactions>o2m>order_transaction>id>paymentMethodId "
        "customers>o2m>customer>id>defaultPaymentMethodId "
        "salesChannelDefaultAssignments>o2m>sales_channel>id>paymentMethodId "
        "salesChannels>m2m>sales_channel>id>id>sales_channel_payment_method>paymentMethodId>salesCh"
        "annelId availabilityRule>m21>rule>availabilityRuleId>id media>m21>media>mediaId>id "
        "appPaymentMethod>o2o>app_payment_method>id>paymentMethodId",
    ),
    "product": (
        "extensions _uniqueIdentifier versionId parentId parentVersionId manufacturerId "
        "productManufacturerVersionId unitId taxId coverId productMediaVersionId deliveryTimeId "
        "featureSetId canonicalProductId cmsPageId cmsPageVersionId price productNumber stock "
        "restockTime autoIncrement active availableStock available isCloseout variation "
        "displayGroup configuratorGroupConfig mainVariantId variantRestrictions manufacturerNumber "
        "ean purchaseSteps maxPurchase minPurchase purchaseUnit referenceUnit shippingFree "
        "purchasePrices markAsTopseller weight width height length releaseDate ratingAverage "
        "categoryTree propertyIds optionIds tagIds categoryIds childCount "
        "customFieldSetSelectionActive sales cheapestPrice metaDescription name keywords "
        "description metaTitle packUnit packUnitPlural customFields slotConfig customSearchKeywords "
        "createdAt updatedAt translated parent children deliveryTime tax manufacturer unit cover "
        "featureSet cmsPage canonicalProduct prices media crossSellings "
        "crossSellingAssignedProducts configuratorSettings visibilities searchKeywords "
        "productReviews mainCategories seoUrls orderLineItems wishlists options properties "
        "categories streams categoriesRo tags customFieldSets translations id apiAlias",
        "id:uuid# versionId:uuid parentId:uuid parentVersionId:uuid manufacturerId:uuid "
        "productManufacturerVersionId:uuid unitId:uuid taxId:uuid coverId:uuid "
        "productMediaVersionId:uuid deliveryTimeId:uuid featureSetId:uuid canonicalProductId:uuid "
        "cmsPageId:uuid cmsPageVersionId:uuid price:list productNumber:str! stock:int! "
        "restockTime:int autoIncrement:int active:bool availableStock:int available:bool "
        "isCloseout:bool variation:list displayGroup:str configuratorGroupConfig:list "
        "mainVariantId:uuid variantRestrictions:list manufacturerNumber:str ean:str "
        "purchaseSteps:int maxPurchase:int minPurchase:int purchaseUnit:float referenceUnit:float "
        "shippingFree:bool purchasePrices:list markAsTopseller:bool weight:float width:float "
        "height:float length:float releaseDate:date ratingAverage:float categoryTree:list "
        "propertyIds:list optionIds:list tagIds:list categoryIds:list childCount:int "
        "customFieldSetSelectionActive:bool sales:int cheapestPrice:json metaDescription:str* "
        "name:str* keywords:str* description:str* metaTitle:str* packUnit:str* packUnitPlural:str* "
        "customFields:json* slotConfig:json* customSearchKeywords:list* createdAt:date "
        "updatedAt:date",
        "parent>m21>product>parentId>id children>o2m>product>id>parentId "
        "deliveryTime>m21>delivery_time>deliveryTimeId>id tax>m21>tax>taxId>id "
        "manufacturer>m21>product_manufacturer>manufacturerId>id unit>m21>unit>unitId>id "
        "cover>m21>product_media>coverId>id featureSet>m21>product_feature_set>featureSetId>id "
        "cmsPage>m21>cms_page>cmsPageId>id canonicalProduct>m21>product>canonicalProductId>id "
        "prices>o2m>product_price>id>productId media>o2m>x>id>productId "
        "crossSellings>o2m>x>id>productId crossSellingAssignedProducts>o2m>x>id>productId "
        "configuratorSettings>o2m>x>id>productId visibilities>o2m>x>id>productId "
        "searchKeywords>o2m>x>id>productId productReviews>o2m>x>id>productId "
        "mainCategories>o2m>x>id>productId seoUrls>o2m>x>id>productId "
        "orderLineItems>o2m>order_line_item>id>productId wishlists>o2m>x>id>productId "
        "options>o2m>x>id>productId properties>o2m>x>id>productId categories>o2m>x>id>productId "
        "streams>o2m>x>id>productId categoriesRo>o2m>x>id>productId tags>o2m>x>id>productId "
        "customFieldSets>o2m>x>id>productId translations>o2m>x>id>productId",
    ),
    "product_price": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt productId "
        "productVersionId ruleId price quantityStart quantityEnd product rule id customFields "
        "apiAlias",
        "id:uuid# versionId:uuid# productId:uuid! productVersionId:uuid! ruleId:uuid! price:json! "
        "quantityStart:int! quantityEnd:int customFields:json createdAt:date updatedAt:date",
        "product>m21>product>productId>id rule>m21>rule>ruleId>id",
    ),
    "promotion": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt name active "
        "validFrom validUntil maxRedemptionsGlobal maxRedemptionsPerCustomer priority exclusive "
        "code useCodes useIndividualCodes individualCodePattern useSetGroups customerRestriction "
        "preventCombination orderCount ordersPerCustomerCount setgroups salesChannels discounts "
        "individualCodes personaRules personaCustomers orderRules cartRules orderLineItems "
        "translations exclusionIds id customFields apiAlias",
        "id:uuid# name:str!* active:bool! validFrom:date validUntil:date maxRedemptionsGlobal:int "
        "maxRedemptionsPerCustomer:int priority:int! exclusive:bool! code:str useCodes:bool! "
        "useIndividualCodes:bool! individualCodePattern:str useSetGroups:bool! "
        "customerRestriction:bool preventCombination:bool! orderCount:int~ "
        "ordersPerCustomerCount:json~ exclusionIds:list customFields:json* createdAt:date "
        "updatedAt:date",
        "setgroups>o2m>promotion_setgroup>id>promotionId "
        "salesChannels>o2m>promotion_sales_channel>id>promotionId "
        "discounts>o2m>promotion_discount>id>promotionId "
        "individualCodes>o2m>promotion_individual_code>id>promotionId "
        "personaRules>m2m>rule>id>id>promotion_persona_rule>promotionId>ruleId "
        "personaCustomers>m2m>customer>id>id>promotion_persona_customer>promotionId>customerId "
        "orderRules>m2m>rule>id>id>promotion_order_rule>promotionId>ruleId "
        "cartRules>m2m>rule>id>id>promotion_cart_rule>promotionId>ruleId "
        "orderLineItems>o2m>order_line_item>id>promotionId "
        "translations>o2m>promotion_translation>id>promotionId",
    ),
    "promotion_cart_rule": (
        "promotionId ruleId promotion rule extensions apiAlias",
        "promotionId:uuid# ruleId:uuid#",
        "promotion>m21>promotion>promotionId>id rule>m21>rule>ruleId>id",
    ),
    "promotion_discount": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt promotionId scope "
        "type value considerAdvancedRules maxValue sorterKey applierKey usageKey pickerKey "
        "promotion discountRules promotionDiscountPrices id apiAlias",
        "id:uuid# promotionId:uuid! scope:str! type:str! value:float! considerAdvancedRules:bool! "
        "maxValue:float sorterKey:str applierKey:str usageKey:str pickerKey:str createdAt:date "
        "updatedAt:date",
        "promotion>m21>promotion>promotionId>id "
        "discountRules>m2m>rule>id>id>promotion_discount_rule>discountId>ruleId "
        "promotionDiscountPrices>o2m>promotion_discount_prices>id>discountId",
    ),
    "promotion_discount_prices": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt discountId "
        "currencyId price promotionDiscount currency id apiAlias",
        "id:uuid# discountId:uuid! currencyId:uuid! price:float! createdAt:date updatedAt:date",
        "promotionDiscount>m21>promotion_discount>discountId>id currency>m21>currency>currencyId>id",
    ),
    "promotion_discount_rule": (
        "discountId ruleId discount rule extensions apiAlias",
        "discountId:uuid# ruleId:uuid#",
        "discount>m21>promotion_discount>discountId>id rule>m21>rule>ruleId>id",
    ),
    "promotion_individual_code": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt promotionId code "
        "payload promotion id apiAlias",
        "id:uuid# promotionId:uuid! code:str! payload:json createdAt:date updatedAt:date",
        "promotion>m21>promotion>promotionId>id",
    ),
    "promotion_order_rule": (
        "promotionId ruleId promotion rule extensions apiAlias",
        "promotionId:uuid# ruleId:uuid#",
        "promotion>m21>promotion>promotionId>id rule>m21>rule>ruleId>id",
    ),
    "promotion_persona_customer": (
        "promotionId customerId promotion customer extensions apiAlias",
        "promotionId:uuid# customerId:uuid#",
        "promotion>m21>promotion>promotionId>id customer>m21>customer>customerId>id",
    ),
    "promotion_persona_rule": (
        "promotionId ruleId promotion rule extensions apiAlias",
        "promotionId:uuid# ruleId:uuid#",
        "promotion>m21>promotion>promotionId>id rule>m21>rule>ruleId>id",
    ),
    "promotion_sales_channel": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt promotionId "
        "salesChannelId priority promotion salesChannel id apiAlias",
        "id:uuid# promotionId:uuid! salesChannelId:uuid! priority:int! createdAt:date updatedAt:date",
        "promotion>m21>promotion>promotionId>id salesChannel>m21>sales_channel>salesChannelId>id",
    ),
    "promotion_setgroup": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt promotionId "
        "packagerKey sorterKey value promotion setGroupRules id apiAlias",
        "id:uuid# promotionId:uuid! packagerKey:str! sorterKey:str! value:float! createdAt:date "
        "updatedAt:date",
        "promotion>m21>promotion>promotionId>id "
        "setGroupRules>m2m>rule>id>id>promotion_setgroup_rule>setgroupId>ruleId",
    ),
    "promotion_setgroup_rule": (
        "setgroupId ruleId setgroup rule extensions apiAlias",
        "setgroupId:uuid# ruleId:uuid#",
        "setgroup>m21>promotion_setgroup>setgroupId>id rule>m21>rule>ruleId>id",
    ),
    "rule": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt name priority "
        "description invalid areas moduleTypes conditions productPrices shippingMethodPrices "
        "shippingMethodPriceCalculations shippingMethods paymentMethods personaPromotions "
        "flowSequences taxProviders tags orderPromotions cartPromotions promotionDiscounts "
        "promotionSetGroups id customFields apiAlias",
        "id:uuid# name:str! priority:int! description:str invalid:bool~ areas:list~ "
        "customFields:json moduleTypes:json createdAt:date updatedAt:date",
        "conditions>o2m>rule_condition>id>ruleId productPrices>o2m>product_price>id>ruleId "
        "shippingMethodPrices>o2m>shipping_method_price>id>ruleId "
        "shippingMethodPriceCalculations>o2m>shipping_method_price>id>calculationRuleId "
        "shippingMethods>o2m>shipping_method>id>availabilityRuleId "
        "paymentMethods>o2m>payment_method>id>availabilityRuleId "
        "personaPromotions>m2m>promotion>id>id>promotion_persona_rule>ruleId>promotionId "
        "flowSequences>o2m>flow_sequence>id>ruleId "
        "taxProviders>o2m>tax_provider>id>availabilityRuleId "
        "tags>m2m>tag>id>id>rule_tag>ruleId>tagId "
        "orderPromotions>m2m>promotion>id>id>promotion_order_rule>ruleId>promotionId "
        "cartPromotions>m2m>promotion>id>id>promotion_cart_rule>ruleId>promotionId "
        "promotionDiscounts>m2m>promotion_discount>id>id>promotion_discount_rule>ruleId>discountId "
        "promotionSetGroups>m2m>promotion_setgroup>id>id>promotion_setgroup_rule>ruleId>setgroupId",
    ),
    "rule_condition": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt type ruleId scriptId "
        "parentId value position rule appScriptCondition parent children id customFields apiAlias",
        "id:uuid# type:str! ruleId:uuid! scriptId:uuid parentId:uuid value:json position:int "
        "customFields:json createdAt:date updatedAt:date",
        "rule>m21>rule>ruleId>id appScriptCondition>m21>app_script_condition>scriptId>id "
        "parent>m21>rule_condition>parentId>id children>o2m>rule_condition>id>parentId",
    ),
    "rule_tag": (
        "ruleId tagId rule tag extensions apiAlias",
        "ruleId:uuid# tagId:uuid#",
        "rule>m21>rule>ruleId>id tag>m21>tag>tagId>id",
    ),
    "sales_channel": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt typeId languageId "
        "customerGroupId currencyId paymentMethodId shippingMethodId countryId navigationCategoryId "
        "name shortName accessKey active maintenance taxCalculationType homeEnabled currencies "
        "languages countries paymentMethods customerGroup currency language promotionSalesChannels "
        "id customFields apiAlias",
        "id:uuid# createdAt:date updatedAt:date typeId:uuid! languageId:uuid! customerGroupId:uuid! "
        "currencyId:uuid! paymentMethodId:uuid! shippingMethodId:uuid! countryId:uuid! "
        "navigationCategoryId:uuid! name:str* shortName:str accessKey:str! active:bool "
        "maintenance:bool taxCalculationType:str homeEnabled:bool* customFields:json*",
        "currencies>m2m>currency>id>id>sales_channel_currency>salesChannelId>currencyId "
        "languages>m2m>language>id>id>sales_channel_language>salesChannelId>languageId "
        "countries>m2m>country>id>id>sales_channel_country>salesChannelId>countryId "
        "paymentMethods>m2m>payment_method>id>id>sales_channel_payment_method>salesChannelId>paymen"
        "tMethodId customerGroup>m21>customer_group>customerGroupId>id "
        "currency>m21>currency>currencyId>id language>m21>language>languageId>id "
        "promotionSalesChannels>o2m>promotion_sales_channel>id>salesChannelId",
    ),
    "salutation": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt salutationKey "
        "displayName letterName translations customers customerAddresses orderCustomers "
        "orderAddresses newsletterRecipients id customFields apiAlias",
        "id:uuid# createdAt:date updatedAt:date salutationKey:str displayName:str letterName:str "
        "customFields:json",
        "translations>o2m>x>id>salutationId customers>o2m>x>id>salutationId "
        "customerAddresses>o2m>x>id>salutationId orderCustomers>o2m>x>id>salutationId "
        "orderAddresses>o2m>x>id>salutationId newsletterRecipients>o2m>x>id>salutationId",
    ),
    "state_machine": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt technicalName name "
        "states transitions initialStateId translations historyEntries id customFields apiAlias",
        "id:uuid# technicalName:str! name:str!* customFields:json* initialStateId:uuid "
        "createdAt:date updatedAt:date",
        "states>o2m>state_machine_state>id>stateMachineId "
        "transitions>o2m>state_machine_transition>id>stateMachineId "
        "translations>o2m>state_machine_translation>id>stateMachineId "
        "historyEntries>o2m>state_machine_history>id>stateMachineId",
    ),
    "state_machine_state": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt name technicalName "
        "stateMachineId stateMachine fromStateMachineTransitions toStateMachineTransitions "
        "translations orders orderTransactionCaptures orderTransactionCaptureRefunds "
        "orderTransactions orderDeliveries fromStateMachineHistoryEntries "
        "toStateMachineHistoryEntries id customFields apiAlias",
        "id:uuid# technicalName:str! name:str!* stateMachineId:uuid! customFields:json* "
        "createdAt:date updatedAt:date",
        "stateMachine>m21>state_machine>stateMachineId>id "
        "fromStateMachineTransitions>o2m>state_machine_transition>id>fromStateId "
        "toStateMachineTransitions>o2m>state_machine_transition>id>toStateId "
        "translations>o2m>state_machine_state_translation>id>stateMachineStateId "
        "orderTransactions>o2m>order_transaction>id>stateId "
        "orderDeliveries>o2m>order_delivery>id>stateId orders>o2m>order>id>stateId "
        "orderTransactionCaptures>o2m>order_transaction_capture>id>stateId "
        "orderTransactionCaptureRefunds>o2m>order_transaction_capture_refund>id>stateId "
        "toStateMachineHistoryEntries>o2m>state_machine_history>id>toStateId "
        "fromStateMachineHistoryEntries>o2m>state_machine_history>id>fromStateId",
    ),
    "tag": (
        "extensions _uniqueIdentifier versionId translated createdAt updatedAt name products media "
        "categories customers orders shippingMethods newsletterRecipients landingPages rules id "
        "apiAlias",
        "id:uuid# name:str! createdAt:date updatedAt:date",
        "products>m2m>product>id>id>product_tag>tagId>productId "
        "media>m2m>media>id>id>media_tag>tagId>mediaId "
        "categories>m2m>category>id>id>category_tag>tagId>categoryId "
        "customers>m2m>customer>id>id>customer_tag>tagId>customerId "
        "orders>m2m>order>id>id>order_tag>tagId>orderId "
        "shippingMethods>m2m>shipping_method>id>id>shipping_method_tag>tagId>shippingMethodId "
        "newsletterRecipients>m2m>newsletter_recipient>id>id>newsletter_recipient_tag>tagId>newslet"
        "terRecipientId landingPages>m2m>landing_page>id>id>landing_page_tag>tagId>landingPageId "
        "rules>m2m>rule>id>id>rule_tag>tagId>ruleId",
    ),
}
