-- How many customers have each contact field: phones (a phone that is not blank) and consents (an sms_consent
-- value, true or false). No parameters.
SELECT
    count(nullif(trim(phone), '')) AS phones,
    count(sms_consent) AS consents
FROM users
